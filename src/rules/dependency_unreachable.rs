//! `dependency-unreachable`: the app exits because a service it needs refuses or times out.

use super::{Evidence, Finding, RuleContext, Signature, check_log_signatures};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container that exits because a dependency (database, queue, API) refuses connections,
    /// times out or has no route, in its client's words: `connection refused`, `ECONNREFUSED`,
    /// `i/o timeout`, `No route to host`, JDBC `Communications link failure`, gRPC `failed to
    /// connect to all addresses`, .NET `actively refused it`, RabbitMQ `None of the specified
    /// endpoints were reachable`, Cassandra `All host(s) tried for query failed`, Kafka's
    /// `Timed out waiting for connection while in state: CONNECTING` (ZooKeeper).
    ///
    /// ## Why it crash-loops
    /// The app treats the dependency as required at start-up and exits; until the dependency is
    /// back (or the app retries instead of exiting), every restart fails the same way.
    ///
    /// ## Evidence
    /// - a log line with the refused or timed-out target (`dial tcp 10.96.14.3:5432: connect: connection refused`,
    ///   `psycopg2.OperationalError: … Connection refused`) near the end of the previous log (likely)
    /// - the target's Service with no ready endpoints in the bundle (strong corroboration)
    /// - an exception or exit code 1 alongside it (the crash is the consequence, not the cause)
    ///
    /// ## Remedy
    /// Bring the dependency back (its pods, Service, endpoints, NetworkPolicy), check the address
    /// the app uses, and make the app retry with back-off instead of exiting.
    ///
    /// ## Not covered
    /// Name resolution failures (`dns-failure`), rejected credentials (`auth-failure`), TLS errors
    /// (`tls-certificate`), refused connections to a sidecar on localhost (`sidecar-ordering`).
    pub(crate) static DEPENDENCY_UNREACHABLE = {
        cause: DependencyUnreachable, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "dial-refused",
        pattern: r"(?i)dial tcp (?P<target>\[?[\w.:-]+\]?:\d+): (?:connect: )?(?:connection refused|i/o timeout|no route to host|network is unreachable)",
        example: "dial tcp 10.96.14.3:5432: connect: connection refused",
        confidence: 0.8,
    },
    Signature {
        id: "libpq-refused",
        pattern: r#"(?i)connection to server (?:at|on) "?(?P<target>[^"\s]+)"?.*(?:failed: )?(?:Connection refused|timeout expired|No route to host)"#,
        example: r#"psycopg2.OperationalError: connection to server at "postgres.shop.svc.cluster.local" (10.96.14.3), port 5432 failed: Connection refused"#,
        confidence: 0.8,
    },
    Signature {
        id: "econnrefused",
        pattern: r"(?:ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH) (?P<target>[\w.:\[\]-]+:\d+)",
        example: "Error: connect ECONNREFUSED 10.96.0.20:6379",
        confidence: 0.8,
    },
    Signature {
        id: "java-connect",
        pattern: r"(?i)(?:java\.net\.ConnectException|Connection refused|Communications link failure|Connection timed out)(?:: )?(?:.*?(?P<target>[\w.-]+:\d{2,5}))?",
        example: "java.net.ConnectException: Connection refused: kafka.shop.svc:9092",
        confidence: 0.7,
    },
    Signature {
        id: "could-not-connect",
        pattern: r"(?i)(?:could not|cannot|can't|unable to|failed to) connect to (?:\w+ )?(?:server |host )?(?:at |on )?'?(?P<target>[\w.-]+(?::\d+)?)'?",
        example: "ERROR 2002 (HY000): Can't connect to MySQL server on 'mysql.shop.svc' (111)",
        confidence: 0.7,
    },
    Signature {
        id: "redis-unreachable",
        pattern: r"(?i)Error (?:\d+ )?connecting to (?P<target>[\w.-]+:\d+)\. Connection refused",
        example: "redis.exceptions.ConnectionError: Error 111 connecting to redis:6379. Connection refused.",
        confidence: 0.8,
    },
    Signature {
        id: "kafka-node-unreachable",
        pattern: r"Connection to node -?\d+ (?:\((?:(?P<target>[A-Za-z0-9_.-]+)/)?[^)\s]*\) )?could not be established\. (?:Broker|Node) may not be available",
        example: r"[2021-05-31 05:33:19,766] WARN [AdminClient clientId=adminclient-1] Connection to node -1 (kafka-0.kafka-headless/10.244.1.9:9092) could not be established. Broker may not be available. (org.apache.kafka.clients.NetworkClient)",
        confidence: 0.75,
    },
    Signature {
        id: "pymongo-server-selection",
        pattern: r"ServerSelectionTimeoutError: (?P<target>[A-Za-z0-9_.-]+:\d+): (?:timed out|\[Errno 111\] Connection refused|\[Errno 113\] No route to host)",
        example: r"pymongo.errors.ServerSelectionTimeoutError: mongodb.db.svc.cluster.local:27017: timed out, Timeout: 30s, Topology Description: <TopologyDescription id: 63b49bba7960577dc012fbc0, topology_type: Unknown>",
        confidence: 0.8,
    },
    Signature {
        id: "pgjdbc-refused",
        pattern: r"Connection to (?P<target>[A-Za-z0-9_.-]+:\d+) refused\. Check that the hostname and port are correct",
        example: r"org.postgresql.util.PSQLException: Connection to postgres.shop.svc:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.",
        confidence: 0.8,
    },
    Signature {
        id: "client-no-nodes",
        pattern: r"\bAMQPConnectionError\b|NoNodeAvailableException|None of the configured nodes are available|No [Ll]iving connections|A network-related or instance-specific error occurred while establishing a connection to SQL Server",
        example: r"Microsoft.Data.SqlClient.SqlException (0x80131904): A network-related or instance-specific error occurred while establishing a connection to SQL Server. The server was not found or was not accessible.",
        confidence: 0.75,
    },
    Signature {
        id: "connect-timeout",
        pattern: r"(?i)timeout exceeded when trying to connect|Connection terminated due to connection timeout|timed out (?:while |when )?(?:trying to )?connect(?:ing)?(?: to (?P<target>[\w.-]+(?::\d+)?))?|\btimeout (?:while |when )?connecting to (?:server|host|database)\b|\bconnect ETIMEDOUT\b|\bConnectTimeout(?:Error|Exception)\b",
        example: "18:05:40  error: timeout exceeded when trying to connect  (pg-pool/index.js:45)",
        confidence: 0.7,
    },
    // gRPC clients in their own words (C-core, Python, Node, C#, Go): the channel found no
    // backend to connect to. A name that did not resolve is `dns-failure`, which outranks this.
    Signature {
        id: "grpc-unavailable",
        pattern: r"(?i)failed to connect to all addresses|connections to all backends failing|grpc: the connection is unavailable|StatusCode\.UNAVAILABLE, Connect Failed|code = Unavailable desc = connection error",
        example: "Error: 14 UNAVAILABLE: failed to connect to all addresses",
        confidence: 0.75,
    },
    // The socket layer's own words, without a `dial tcp` or a client library around them:
    // .NET and Windows, Java's `NoRouteToHostException`, errno 101/113 in Python and C.
    Signature {
        id: "socket-unreachable",
        pattern: r"(?i)No connection could be made because the target machine actively refused it\.?(?: (?P<target>[\w.-]+:\d+))?|None of the specified endpoints were reachable|NoRouteToHostException|\bNo route to host\b|\bNetwork is unreachable\b|\b(?:ENETUNREACH|EHOSTUNREACH)\b",
        example: "RabbitMQ.Client.Exceptions.BrokerUnreachableException: None of the specified endpoints were reachable ---> RabbitMQ.Client.Exceptions.ConnectFailureException: Connection failed ---> System.Net.Internals.SocketExceptionFactory+ExtendedSocketException: Connection refused 172.18.0.5:5672",
        confidence: 0.75,
    },
    // Cluster clients that tried every contact point: Cassandra's drivers, ZooKeeper (Kafka,
    // its brokers' start-up), sarama, NATS, Oracle's and SQL Server's JDBC drivers.
    Signature {
        id: "client-no-servers",
        pattern: r"All host\(s\) tried for query failed|Unable to connect to any servers|ZooKeeperClientTimeoutException|Timed out waiting for connection (?:while in state: CONNECTING|to Zookeeper server)|Unable to connect to zookeeper server '(?P<target>[\w.-]+(?::\d+)?)|client has run out of available brokers to talk to|nats: no servers available for connection|The Network Adapter could not establish the connection|The TCP/IP connection to the host [\w.-]+, port \d+ has failed",
        example: "kafka.zookeeper.ZooKeeperClientTimeoutException: Timed out waiting for connection while in state: CONNECTING",
        confidence: 0.75,
    },
    // Not the Kubernetes API (`/api`, `/apis` paths): that is `kubernetes-api-access`.
    Signature {
        id: "http-unreachable",
        pattern: r#"(?:Get|Post|Put|Head|Patch|Delete) \\?"https?://(?P<target>[^/"\\\s]+)(?:/(?:[^a"\\\s]|a[^p"\\\s]|ap[^i"\\\s])[^"\\\s]*|/)?\\?": (?:context deadline exceeded|net/http: request canceled while waiting for connection|net/http: TLS handshake timeout|EOF\b|read: connection reset by peer)"#,
        example: r#"Error: Get "http://vault.security.svc:8200/v1/sys/health": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"#,
        confidence: 0.7,
    },
    Signature {
        id: "metadata-service",
        pattern: r"(?i)\bec2imds\b[^\n]*?(?:deadline exceeded|timed? ?out|canceled|refused)|instance metadata[^\n]{0,160}?(?:deadline exceeded|timed? ?out|unreachable|refused|canceled)|(?P<target>169\.254\.169\.254)[^\n]{0,160}?(?:deadline exceeded|timed? ?out|refused|no route to host|unreachable)",
        example: r#"{"level":"error","ts":"2024-11-07T09:15:49Z","logger":"setup","msg":"unable to initialize AWS cloud","error":"failed to get VPC ID: failed to fetch VPC ID from instance metadata: error in fetching vpc id through ec2 metadata: get mac metadata: operation error ec2imds: GetMetadata, canceled, context deadline exceeded"}"#,
        confidence: 0.75,
    },
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    let before = out.len();
    check_log_signatures(cx, out, &DEPENDENCY_UNREACHABLE, |s, hit| {
        let name = s.name();
        let target = hit.target.as_deref().unwrap_or("a dependency");
        let title = format!("container `{name}` exits because `{target}` is unreachable");
        let steps = vec![
            format!(
                "check that `{target}` is up: its pods, its Service and that the Service has ready endpoints"
            ),
            format!(
                "check that `{name}` uses the right host and port, and that no NetworkPolicy blocks the traffic"
            ),
            format!(
                "make `{name}` retry the connection with back-off at start-up instead of exiting"
            ),
        ];
        (title, steps)
    });
    // Corroborate with the target Service's endpoints when the bundle has them.
    for f in &mut out[before..] {
        let s = &cx.subjects[f.subject];
        let Some(hit) = super::best_hit(s, DEPENDENCY_UNREACHABLE.cause) else {
            continue;
        };
        let Some(target) = hit.target.as_deref() else {
            continue;
        };
        if let Some(ep) = find_service(s, target) {
            let (ns, svc) = (&ep.metadata.namespace, &ep.metadata.name);
            let ready = ep.ready_addresses();
            if !target.starts_with(svc.as_str()) {
                f.title.push_str(&format!(" (Service `{ns}/{svc}`)"));
            }
            f.evidence.push(Evidence::new(
                super::EvidenceKind::Status,
                &ep.source,
                format!("endpoints {ns}/{svc}"),
                format!("{ready} ready addresses"),
            ));
            if ready == 0 {
                f.confidence = (f.confidence + 0.1).min(0.95);
                f.remediation.insert(
                    0,
                    format!(
                        "Service `{ns}/{svc}` has no ready endpoints: fix its backing pods first"
                    ),
                );
            }
            f.commands
                .push(format!("kubectl -n {ns} get endpoints {svc} -o wide"));
        }
    }
}

/// The Service a target names (`postgres`, `postgres.shop`, `postgres.shop.svc.cluster.local`,
/// with or without a port), by its Endpoints object in the bundle.
fn find_service<'a>(s: &Subject<'a>, target: &str) -> Option<&'a crate::model::Endpoints> {
    let host = target.rsplit_once(':').map_or(target, |(h, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            target
        }
    });
    let mut labels = host.split('.');
    let name = labels.next()?.to_owned();
    let ns = labels
        .next()
        .filter(|l| *l != "svc")
        .map_or_else(|| s.pod.metadata.namespace.clone(), str::to_owned);
    let cluster = s.cluster;
    let by_ip = cluster
        .services
        .iter()
        .find(|svc| svc.spec.cluster_ip.as_deref() == Some(host));
    let (ns, name) = match by_ip {
        Some(svc) => (svc.metadata.namespace.clone(), svc.metadata.name.clone()),
        None => (ns, name),
    };
    cluster
        .endpoints
        .iter()
        .find(|e| e.metadata.namespace == ns && e.metadata.name == name)
}

#[cfg(test)]
mod tests {
    /// Lines this rule must claim, and neighbours' lines it must leave alone.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            "MongoNetworkError: connect ECONNREFUSED 10.244.47.12:27017",
            "MongoError: failed to connect to server [mongo-1.mongo:27017] on first connect [MongoError: connect ECONNREFUSED 10.244.47.12:27017]",
            "2019-11-22T06:05:17.145+0000 W NETWORK  [thread1] Failed to connect to 10.0.3.4:27017, in(checking socket for error after poll), reason: Connection refused",
            "2021-01-21 21:56:41.382  WARN 18 --- [ntainer#0-0-C-1] org.apache.kafka.clients.NetworkClient   : [Consumer clientId=consumer-email-1, groupId=email] Connection to node -1 (kafka.shop.svc/10.96.3.4:9092) could not be established. Broker may not be available.",
            "  SQLSTATE[HY000] [2002] Connection refused (Connection: mysql, SQL: select * from information_schema.tables where table_schema = speedtest_tracker and table_name = migrations and table_type = 'BASE TABLE')",
            "PDOException: SQLSTATE[HY000] [2002] Connection refused",
            "pymongo.errors.ServerSelectionTimeoutError: mongodb.db.svc.cluster.local:27017: timed out, Timeout: 30s, Topology Description: <TopologyDescription id: 63b49bba7960577dc012fbc0, topology_type: Unknown>",
            "Unhandled exception. Npgsql.NpgsqlException (0x80004005): Failed to connect to 10.96.14.3:5432",
            "System.Net.Internals.SocketExceptionFactory+ExtendedSocketException (111): Connection refused 172.18.0.4:5432",
            "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure",
            "com.zaxxer.hikari.pool.HikariPool$PoolInitializationException: Failed to initialize pool: Communications link failure",
            "org.postgresql.util.PSQLException: Connection to postgres.shop.svc:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.",
            "io.lettuce.core.RedisConnectionException: Unable to connect to redis-master.cache.svc:6379",
            "pika.exceptions.AMQPConnectionError",
            "Error: No Living connections",
            "org.elasticsearch.client.transport.NoNodeAvailableException: None of the configured nodes are available: [{#transport#-1}{10.96.7.7}{elasticsearch:9300}]",
            "Microsoft.Data.SqlClient.SqlException (0x80131904): A network-related or instance-specific error occurred while establishing a connection to SQL Server. The server was not found or was not accessible.",
            "PG::ConnectionBad: could not connect to server: Connection refused",
            r#"Mysql2::Error::ConnectionError: Can't connect to MySQL server on 'mysql' (111 "Connection refused")"#,
            r#"Error: connection error: desc = "transport: Error while dialing dial tcp 10.96.33.2:50051: connect: connection refused""#,
            "Error: Redis connection to redis:6379 failed - connect ECONNREFUSED 10.96.0.20:6379",
            "Caused by: java.net.ConnectException: Connection refused (Connection refused)",
            "Error: Connection terminated due to connection timeout",
            "pymysql.err.OperationalError: (2003, \"Can't connect to MySQL server on 'mysql' (timed out)\")",
            "redis.exceptions.TimeoutError: Timeout connecting to server",
            "Error: connect ETIMEDOUT",
            r#"level=fatal msg="Get \"https://minio.storage.svc:9000/probe-bucket/?location=\": net/http: request canceled while waiting for connection""#,
            "failed to retrieve credentials: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, request canceled, context deadline exceeded",
            // gRPC in C-core, Python, Node and C# words.
            "Error: 14 UNAVAILABLE: failed to connect to all addresses",
            r#"        details = "failed to connect to all addresses""#,
            "grpc._channel._Rendezvous: <_Rendezvous of RPC that terminated with (StatusCode.UNAVAILABLE, Connect Failed)>",
            r#"- Grpc.Core.RpcException: Status(StatusCode="Unavailable", Detail="connections to all backends failing", DebugException="Grpc.Core.Internal.CoreErrorDetailException: {"created":"@1623083843.921945255","description":"Failed to pick subchannel"}")"#,
            "rpc error: code = 14 desc = grpc: the connection is unavailable",
            // The socket layer without a client around it.
            "ExtendedSocketException: No connection could be made because the target machine actively refused it 127.0.0.1:5672",
            "Unhandled exception. RabbitMQ.Client.Exceptions.BrokerUnreachableException: None of the specified endpoints were reachable",
            "Caused by: java.net.NoRouteToHostException: No route to host (Host unreachable)",
            "OSError: [Errno 101] Network is unreachable",
            "Error: connect EHOSTUNREACH",
            // Clients of clustered services that tried every contact point.
            "kafka.zookeeper.ZooKeeperClientTimeoutException: Timed out waiting for connection while in state: CONNECTING",
            "org.I0Itec.zkclient.exception.ZkTimeoutException: Unable to connect to zookeeper server '10.32.0.108:2181,10.32.0.110:2181,10.32.0.111:2181' with timeout of 9000 ms",
            "ERROR io.confluent.admin.utils.ClusterStatus - Timed out waiting for connection to Zookeeper server [zookeeper.operator.svc.cluster.local:2181/kafka-operator].",
            "com.datastax.driver.core.exceptions.NoHostAvailableException: All host(s) tried for query failed (tried: ip-172-31-47-183/172.31.47.183 ([ip-172-31-47-183/172.31.47.183] Cannot connect))",
            "cassandra.cluster.NoHostAvailable: ('Unable to connect to any servers', {'10.96.40.2:9042': ConnectionRefusedError(111, \"Tried connecting to [('10.96.40.2', 9042)]. Last error: Connection refused\")})",
            "panic: kafka: client has run out of available brokers to talk to (Is your cluster reachable?)",
            "nats: no servers available for connection",
        ] {
            assert!(causes(line).contains(&"dependency-unreachable"), "{line}");
        }
        for line in [
            "dial tcp: lookup postgres on 10.96.0.10:53: no such host",
            "SQLSTATE[HY000] [1045] Access denied for user 'root'@'10.244.0.12' (using password: YES)",
            "Microsoft.Data.SqlClient.SqlException (0x80131904): Login failed for user 'sa'.",
            "Error: listen EADDRINUSE: address already in use :::3000",
            r#"E1207 10:13:41.123456       1 reflector.go:138] Failed to watch *v1.Pod: failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods?limit=500": context deadline exceeded"#,
            // A name that does not resolve is `dns-failure`, in gRPC's words too.
            "Error: 14 UNAVAILABLE: DNS resolution failed for service: orders.shop.svc:50051",
            "rpc error: code = Unavailable desc = name resolver error: produced zero addresses",
            // A server going away after the connection was made is not an unreachable dependency.
            "rpc error: code = Unavailable desc = transport is closing",
            // Config keys named after the failure, and a health line that says all is well.
            "INFO  grpc.client.connect-timeout=5s grpc.client.unavailable-retries=3",
            "2024-05-02 10:00:01 INFO  Connected to zookeeper zookeeper.kafka.svc:2181, session 0x1000002c5d60000",
            // Prisma's generic hint after a failed migration; the database answered.
            "Applying database migrations failed. This is mostly caused by the database being unavailable.",
        ] {
            assert!(!causes(line).contains(&"dependency-unreachable"), "{line}");
        }
    }

    /// The Kafka client names the broker as `host/ip:port`; the host is what finds its Service.
    #[test]
    fn kafka_target_is_the_broker_host() {
        let hits = crate::rules::registry::SCANNER.scan_message(
            "[2021-05-31 05:33:19,766] WARN [AdminClient clientId=adminclient-1] Connection to node -1 (kafka-0.kafka-headless/10.244.1.9:9092) could not be established. Broker may not be available. (org.apache.kafka.clients.NetworkClient)",
        );
        assert!(
            hits.iter()
                .any(|h| h.signature.id == "kafka-node-unreachable"
                    && h.target.as_deref() == Some("kafka-0.kafka-headless"))
        );
    }
}
