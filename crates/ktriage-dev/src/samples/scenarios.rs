//! The samples themselves: one builder per bundle, and the table of expected findings.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::objects::{
    Ctr, Deploy, Entry, Ev, HELM, Loop, NodeSpec, PodArgs, PodPlan, Src, St, Svc, Timeline, Timing,
    Tmpl, add_event, add_node, add_scheduled, by, container, container_events, crash_loop,
    daemonset, deployment, env, env_from, every, exec_probe, helm_annotations, helm_configmap,
    helm_labels, http_probe, long_runs, make_pod, mount, pod_template_spec, pvc, res, root_ca,
    running, secret, service, spring, statefulset, statuses, tcp_probe, warning, write_logs,
};
use super::value::{M, V, l, m};
use super::{Bundle, Flavor, count, epoch, hexid, int, iso, iso_ms, mf, p, render_log, safe, unit};

const SPRING_BANNER: &[&str] = &[
    "",
    "  .   ____          _            __ _ _",
    " /\\\\ / ___'_ __ _ _(_)_ __  __ _ \\ \\ \\ \\",
    "( ( )\\___ | '_ | '_| | '_ \\/ _` | \\ \\ \\ \\",
    " \\\\/  ___)| |_)| | | | | || (_| |  ) ) ) )",
    "  '  |____| .__|_| |_|_| |_\\__, | / / / /",
    " =========|_|==============|___/=/_/_/_/",
    "",
    " :: Spring Boot ::                (v3.3.5)",
    "",
];

const PAYMENTS_ENTRIES: &[Entry] = &[
    (
        1.9,
        "INFO",
        "main",
        "c.e.payments.PaymentsApplication",
        "Starting PaymentsApplication v2.14.3 using Java 21.0.5 with PID 1 (/app/payments.jar started by app in /app)",
    ),
    (
        1.9,
        "INFO",
        "main",
        "c.e.payments.PaymentsApplication",
        "The following 1 profile is active: \"prod\"",
    ),
    (
        4.6,
        "INFO",
        "main",
        ".s.d.r.c.RepositoryConfigurationDelegate",
        "Bootstrapping Spring Data JPA repositories in DEFAULT mode.",
    ),
    (
        5.3,
        "INFO",
        "main",
        ".s.d.r.c.RepositoryConfigurationDelegate",
        "Finished Spring Data repository scanning in 611 ms. Found 9 JPA repository interfaces.",
    ),
    (
        7.1,
        "INFO",
        "main",
        "o.s.b.w.embedded.tomcat.TomcatWebServer",
        "Tomcat initialized with port 8080 (http)",
    ),
    (
        7.2,
        "INFO",
        "main",
        "w.s.c.ServletWebServerApplicationContext",
        "Root WebApplicationContext: initialization completed in 5174 ms",
    ),
    (
        8.0,
        "INFO",
        "main",
        "com.zaxxer.hikari.HikariDataSource",
        "HikariPool-1 - Starting...",
    ),
    (
        8.6,
        "INFO",
        "main",
        "com.zaxxer.hikari.pool.HikariPool",
        "HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@4b3a8f21",
    ),
    (
        8.6,
        "INFO",
        "main",
        "com.zaxxer.hikari.HikariDataSource",
        "HikariPool-1 - Start completed.",
    ),
    (
        10.9,
        "INFO",
        "main",
        "j.LocalContainerEntityManagerFactoryBean",
        "Initialized JPA EntityManagerFactory for persistence unit 'default'",
    ),
    (
        12.3,
        "INFO",
        "main",
        "o.s.b.w.embedded.tomcat.TomcatWebServer",
        "Tomcat started on port 8080 (http) with context path '/'",
    ),
    (
        12.4,
        "INFO",
        "main",
        "c.e.payments.PaymentsApplication",
        "Started PaymentsApplication in 11.82 seconds (process running for 12.64)",
    ),
];

const ORDERS_ENTRIES: &[Entry] = &[
    (
        1.2,
        "INFO",
        "main",
        "c.e.orders.OrdersApplication",
        "Starting OrdersApplication v3.2.0 using Java 21.0.5 with PID 1 (/app/orders.jar started by app in /app)",
    ),
    (
        1.3,
        "INFO",
        "main",
        "c.e.orders.OrdersApplication",
        "The following 1 profile is active: \"prod\"",
    ),
    (
        6.8,
        "INFO",
        "main",
        ".s.d.r.c.RepositoryConfigurationDelegate",
        "Bootstrapping Spring Data JPA repositories in DEFAULT mode.",
    ),
    (
        9.4,
        "INFO",
        "main",
        ".s.d.r.c.RepositoryConfigurationDelegate",
        "Finished Spring Data repository scanning in 2514 ms. Found 14 JPA repository interfaces.",
    ),
    (
        14.9,
        "INFO",
        "main",
        "o.s.b.w.embedded.tomcat.TomcatWebServer",
        "Tomcat initialized with port 8080 (http)",
    ),
    (
        15.0,
        "INFO",
        "main",
        "o.apache.catalina.core.StandardService",
        "Starting service [Tomcat]",
    ),
    (
        15.0,
        "INFO",
        "main",
        "o.apache.catalina.core.StandardEngine",
        "Starting Servlet engine: [Apache Tomcat/10.1.31]",
    ),
    (
        15.6,
        "INFO",
        "main",
        "o.a.c.c.C.[Tomcat].[localhost].[/]",
        "Initializing Spring embedded WebApplicationContext",
    ),
    (
        15.6,
        "INFO",
        "main",
        "w.s.c.ServletWebServerApplicationContext",
        "Root WebApplicationContext: initialization completed in 13912 ms",
    ),
    (
        19.8,
        "INFO",
        "main",
        "o.hibernate.jpa.internal.util.LogHelper",
        "HHH000204: Processing PersistenceUnitInfo [name: default]",
    ),
    (
        20.4,
        "INFO",
        "main",
        "org.hibernate.Version",
        "HHH000412: Hibernate ORM core version 6.5.3.Final",
    ),
    (
        20.9,
        "INFO",
        "main",
        "o.h.c.internal.RegionFactoryInitiator",
        "HHH000026: Second-level cache disabled",
    ),
    (
        22.1,
        "INFO",
        "main",
        "org.flywaydb.core.FlywayExecutor",
        "Flyway Community Edition 10.10.0 by Redgate",
    ),
    (
        22.3,
        "INFO",
        "main",
        "com.zaxxer.hikari.HikariDataSource",
        "HikariPool-1 - Starting...",
    ),
    (
        23.5,
        "INFO",
        "main",
        "com.zaxxer.hikari.pool.HikariPool",
        "HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@3c1e23ff",
    ),
    (
        23.5,
        "INFO",
        "main",
        "com.zaxxer.hikari.HikariDataSource",
        "HikariPool-1 - Start completed.",
    ),
    (
        23.6,
        "INFO",
        "main",
        "o.f.c.i.database.base.BaseDatabaseType",
        "Database: jdbc:postgresql://orders-db.shop.svc.cluster.local:5432/orders (PostgreSQL 16.4)",
    ),
    (
        25.9,
        "INFO",
        "main",
        "o.f.core.internal.command.DbValidate",
        "Successfully validated 87 migrations (execution time 00:02.204s)",
    ),
    (
        26.0,
        "INFO",
        "main",
        "o.f.core.internal.command.DbMigrate",
        "Current version of schema \"public\": 2024.11.05.1",
    ),
    (
        26.0,
        "INFO",
        "main",
        "o.f.core.internal.command.DbMigrate",
        "Schema \"public\" is up to date. No migration necessary.",
    ),
    (
        31.7,
        "INFO",
        "main",
        "o.h.e.t.j.p.i.JtaPlatformInitiator",
        "HHH000489: No JTA platform available (set 'hibernate.transaction.jta.platform' to enable JTA platform integration)",
    ),
    (
        38.2,
        "INFO",
        "main",
        "j.LocalContainerEntityManagerFactoryBean",
        "Initialized JPA EntityManagerFactory for persistence unit 'default'",
    ),
    (
        44.9,
        "INFO",
        "main",
        "c.e.orders.catalog.ProductCacheLoader",
        "Loading product catalog into the in-memory cache (480000 entries)...",
    ),
    (
        51.2,
        "INFO",
        "main",
        "c.e.orders.catalog.ProductCacheLoader",
        "Product cache: 120000/480000 entries loaded",
    ),
    (
        57.3,
        "INFO",
        "main",
        "c.e.orders.catalog.ProductCacheLoader",
        "Product cache: 240000/480000 entries loaded",
    ),
];

const GO_USAGE: &[&str] = &[
    "Usage of /app/server:",
    "  -db-dsn string",
    "    \tPostgreSQL connection string (default \"postgres://inventory@inventory-db:5432/inventory?sslmode=disable\")",
    "  -listen-addr string",
    "    \tHTTP listen address (default \":8080\")",
    "  -log-level string",
    "    \tlog level: debug, info, warn or error (default \"info\")",
    "  -metrics-addr string",
    "    \tPrometheus metrics listen address (default \":9090\")",
    "  -shutdown-timeout duration",
    "    \thow long to wait for in-flight requests on shutdown (default 15s)",
];

const VELERO_LOG: &[&str] = &[
    "Error: unknown command \"server-junk\" for \"velero\"",
    "Run 'velero --help' for usage.",
    "An error occurred: unknown command \"server-junk\" for \"velero\"",
];

const CHECKOUT_LOG: &[&str] = &[
    "{\"level\":30,\"time\":%s,\"pid\":1,\"hostname\":\"%s\",\"name\":\"checkout\",\"msg\":\"loading configuration (NODE_ENV=production)\"}",
    "/app/dist/config.js:18",
    "    throw new Error(`Missing required environment variable ${name}`);",
    "    ^",
    "",
    "Error: Missing required environment variable STRIPE_API_URL",
    "    at requireEnv (/app/dist/config.js:18:11)",
    "    at Object.<anonymous> (/app/dist/config.js:31:18)",
    "    at Module._compile (node:internal/modules/cjs/loader:1546:14)",
    "    at Object..js (node:internal/modules/cjs/loader:1689:10)",
    "    at Module.load (node:internal/modules/cjs/loader:1318:32)",
    "    at Function._load (node:internal/modules/cjs/loader:1128:12)",
    "    at TracingChannel.traceSync (node:diagnostics_channel:322:14)",
    "    at wrapModuleLoad (node:internal/modules/cjs/loader:219:24)",
    "    at Module.require (node:internal/modules/cjs/loader:1340:12)",
    "    at require (node:internal/modules/helpers:138:16)",
    "",
    "Node.js v22.11.0",
];
const STOREFRONT_LOG: &[&str] = &[
    "Traceback (most recent call last):",
    "  File \"/usr/local/lib/python3.12/site-packages/django/db/backends/base/base.py\", line 279, in ensure_connection",
    "    self.connect()",
    "  File \"/usr/local/lib/python3.12/site-packages/django/utils/asyncio.py\", line 26, in inner",
    "    return func(*args, **kwargs)",
    "           ^^^^^^^^^^^^^^^^^^^^^",
    "  File \"/usr/local/lib/python3.12/site-packages/django/db/backends/base/base.py\", line 256, in connect",
    "    self.connection = self.get_new_connection(conn_params)",
    "                      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    "  File \"/usr/local/lib/python3.12/site-packages/django/db/backends/postgresql/base.py\", line 332, in get_new_connection",
    "    connection = self.Database.connect(**conn_params)",
    "                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    "  File \"/usr/local/lib/python3.12/site-packages/psycopg2/__init__.py\", line 122, in connect",
    "    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)",
    "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    "psycopg2.OperationalError: connection to server at \"postgres.shop.svc.cluster.local\" (10.96.14.3), port 5432 failed: Connection refused",
    "\tIs the server running on that host and accepting TCP/IP connections?",
    "",
    "",
    "The above exception was the direct cause of the following exception:",
    "",
    "Traceback (most recent call last):",
    "  File \"/app/manage.py\", line 22, in <module>",
    "    main()",
    "  File \"/app/manage.py\", line 18, in main",
    "    execute_from_command_line(sys.argv)",
    "  File \"/usr/local/lib/python3.12/site-packages/django/core/management/__init__.py\", line 442, in execute_from_command_line",
    "    utility.execute()",
    "  File \"/usr/local/lib/python3.12/site-packages/django/core/management/__init__.py\", line 436, in execute",
    "    self.fetch_command(subcommand).run_from_argv(self.argv)",
    "  File \"/usr/local/lib/python3.12/site-packages/django/core/management/base.py\", line 413, in run_from_argv",
    "    self.execute(*args, **cmd_options)",
    "  File \"/usr/local/lib/python3.12/site-packages/django/core/management/base.py\", line 459, in execute",
    "    output = self.handle(*args, **options)",
    "             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    "  File \"/usr/local/lib/python3.12/site-packages/django/core/management/commands/migrate.py\", line 114, in handle",
    "    executor = MigrationExecutor(connection, self.migration_progress_callback)",
    "               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    "  File \"/usr/local/lib/python3.12/site-packages/django/db/migrations/executor.py\", line 18, in __init__",
    "    self.loader = MigrationLoader(self.connection)",
    "                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    "  File \"/usr/local/lib/python3.12/site-packages/django/db/migrations/loader.py\", line 58, in __init__",
    "    self.build_graph()",
    "  File \"/usr/local/lib/python3.12/site-packages/django/db/migrations/loader.py\", line 235, in build_graph",
    "    self.applied_migrations = recorder.applied_migrations()",
    "                              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    "  File \"/usr/local/lib/python3.12/site-packages/django/db/backends/base/base.py\", line 278, in ensure_connection",
    "    with self.wrap_database_errors:",
    "  File \"/usr/local/lib/python3.12/site-packages/django/db/utils.py\", line 91, in __exit__",
    "    raise dj_exc_value.with_traceback(traceback) from exc_value",
    "  File \"/usr/local/lib/python3.12/site-packages/django/db/backends/base/base.py\", line 279, in ensure_connection",
    "    self.connect()",
    "django.db.utils.OperationalError: connection to server at \"postgres.shop.svc.cluster.local\" (10.96.14.3), port 5432 failed: Connection refused",
    "\tIs the server running on that host and accepting TCP/IP connections?",
];

// ------------------------------------------------------------------------------------------
// The bundle and its common workloads

fn new_bundle(
    rel: &str,
    cluster: &str,
    context: &str,
    flavor: Flavor,
    t: f64,
    namespaces: &[&str],
    region: &str,
) -> Bundle {
    let (server_version, server_commit, server_build, go_version) = match flavor {
        Flavor::Eks => (
            "v1.31.2-eks-7f9249a",
            "3f1c5e3b4e0f7f3a52d6b6c9e9c7a8d2f5e1b4a7",
            "2024-10-29T21:14:02Z",
            "go1.22.8",
        ),
        Flavor::Gke => (
            "v1.31.2-gke.1115000",
            "7d1d4b0c6f3a2e9b8c5d4e3f2a1b0c9d8e7f6a5b",
            "2024-11-05T09:21:37Z",
            "go1.22.8 X:boringcrypto",
        ),
        Flavor::Aks | Flavor::Kubeadm => (
            "v1.31.2",
            "5864a4677267e6adeae276ad85882a8714d69d9d",
            "2024-10-22T20:28:14Z",
            "go1.22.8",
        ),
    };
    let scheduler_host = match flavor {
        Flavor::Eks => format!("ip-10-0-1-20.{region}.compute.internal"),
        Flavor::Gke => "gke-control-plane".to_owned(),
        Flavor::Aks => "aks-control-plane".to_owned(),
        Flavor::Kubeadm => format!("{cluster}-cp-1"),
    };
    let svc_base = match flavor {
        Flavor::Eks => "172.20.",
        Flavor::Gke => "34.118.",
        Flavor::Aks => "10.0.",
        Flavor::Kubeadm => "10.96.",
    };
    let mut b = Bundle {
        rel: rel.to_owned(),
        cluster: cluster.to_owned(),
        context: context.to_owned(),
        flavor,
        t,
        namespaces: namespaces.iter().map(|s| (*s).to_owned()).collect(),
        server_version: server_version.to_owned(),
        server_commit: server_commit.to_owned(),
        server_build: server_build.to_owned(),
        go_version: go_version.to_owned(),
        region: region.to_owned(),
        items: HashMap::new(),
        logs: BTreeMap::new(),
        nodes: BTreeMap::new(),
        node_images: HashMap::new(),
        errors: Vec::new(),
        ip_next: HashMap::new(),
        managed_fields: false,
        birth: t - 86400.0 * (60 + int(unit(p![cluster, "birth"]) * 200.0)) as f64,
        pod_ns: HashMap::new(),
        pod_uid: HashMap::new(),
        scheduler_host,
        svc_base,
        svc_used: Vec::new(),
        svc_ips: HashMap::new(),
    };
    for ns in namespaces {
        let at = b.birth + 3600.0 + int(unit(p![*ns]) * 86400.0) as f64;
        root_ca(&mut b, ns, at);
    }
    b
}

fn frontend(
    b: &mut Bundle,
    ns: &str,
    nodes: &[&str],
    created: f64,
    name: &str,
    replicas: usize,
    image: &str,
) -> Vec<M> {
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name,
            image,
            ports: vec![("http", 8080)],
            resources: res(Some("50m"), Some("64Mi"), None, Some("128Mi")),
            liveness: Some(http_probe("/healthz", "http", every(5, 10))),
            readiness: Some(http_probe("/healthz", "http", every(0, 5))),
            mounts: vec![
                mount("nginx-conf", "/etc/nginx/conf.d", true),
                mount("cache", "/var/cache/nginx", false),
            ],
            ..Ctr::default()
        })],
        volumes: vec![
            m! { "configMap" => m! { "defaultMode" => 420, "name" => format!("{name}-nginx") }, "name" => "nginx-conf" },
            m! { "emptyDir" => M::new(), "name" => "cache" },
        ],
        ..Tmpl::default()
    });
    let pods = (0..replicas)
        .map(|i| {
            let i_f = i as f64;
            PodPlan::new(
                nodes[i % nodes.len()],
                created + 2.0 + i_f,
                statuses(vec![(name, running(created + 4.0 + i_f))]),
            )
        })
        .collect();
    let made = deployment(b, ns, name, &Deploy::new(&spec, created, pods));
    let ip = b.svc_ip(name);
    service(
        b,
        ns,
        name,
        &Svc {
            ip: Some(ip),
            ports: vec![("http", 80, V::from("http"))],
            selector: m! { "app" => name },
            created,
            labels: None,
            backends: made.clone(),
            not_ready: Vec::new(),
        },
    );
    helm_configmap(b, ns, &format!("{name}-nginx"), &["default.conf"], created);
    made
}

fn go_service(
    b: &mut Bundle,
    ns: &str,
    name: &str,
    nodes: &[&str],
    created: f64,
    image: &str,
    first: Option<St>,
) -> Vec<M> {
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name,
            image,
            args: vec!["--listen-addr=:8080"],
            env: vec![env("LOG_LEVEL", "info")],
            ports: vec![("http", 8080), ("metrics", 9090)],
            resources: res(Some("100m"), Some("128Mi"), None, Some("256Mi")),
            liveness: Some(http_probe("/healthz", "http", every(10, 10))),
            readiness: Some(http_probe("/readyz", "http", every(0, 5))),
            security: Some(m! {
                "allowPrivilegeEscalation" => false,
                "readOnlyRootFilesystem" => true,
                "runAsNonRoot" => true,
                "runAsUser" => 65532,
            }),
            ..Ctr::default()
        })],
        ..Tmpl::default()
    });
    let st = first.unwrap_or_else(|| running(created + 4.0));
    let ready_since = match &st {
        St::Running { started, .. } => Some(started + 6.0),
        _ => None,
    };
    let mut plan = PodPlan::new(nodes[0], created + 2.0, statuses(vec![(name, st)]));
    plan.ready_since = ready_since;
    let made = deployment(b, ns, name, &Deploy::new(&spec, created, vec![plan]));
    let ip = b.svc_ip(name);
    service(
        b,
        ns,
        name,
        &Svc {
            ip: Some(ip),
            ports: vec![("http", 80, V::from("http"))],
            selector: m! { "app" => name },
            created,
            labels: None,
            backends: made.clone(),
            not_ready: Vec::new(),
        },
    );
    made
}

fn redis(b: &mut Bundle, ns: &str, node: &str, created: f64) {
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "redis",
            image: "redis:7.4.1-alpine",
            args: vec!["--save", "", "--appendonly", "no"],
            ports: vec![("redis", 6379)],
            resources: res(Some("50m"), Some("64Mi"), None, Some("256Mi")),
            liveness: Some(tcp_probe("redis", every(5, 10))),
            readiness: Some(exec_probe(&["redis-cli", "ping"], every(0, 5))),
            ..Ctr::default()
        })],
        ..Tmpl::default()
    });
    let pods = vec![PodPlan::new(
        node,
        created + 2.0,
        statuses(vec![("redis", running(created + 5.0))]),
    )];
    let made = deployment(b, ns, "redis", &Deploy::new(&spec, created, pods));
    let ip = b.svc_ip("redis");
    service(
        b,
        ns,
        "redis",
        &Svc {
            ip: Some(ip),
            ports: vec![("redis", 6379, V::from("redis"))],
            selector: m! { "app" => "redis" },
            created,
            labels: None,
            backends: made,
            not_ready: Vec::new(),
        },
    );
}

/// A crash-looping container's state: its timeline, how each instance ends, and its log.
fn looping(
    tl: Timeline,
    reason: &'static str,
    exit_code: i64,
    logs: impl Fn(f64, f64) -> Lines + 'static,
) -> Rc<Loop> {
    Rc::new(Loop {
        timeline: tl,
        reason,
        exit_code,
        message: None,
        logs: Box::new(logs),
    })
}

type Lines = Vec<(f64, String)>;

/// A Service `name` selecting `app: name` on port 80 -> the named port `http`.
fn http_service(
    b: &mut Bundle,
    ns: &str,
    name: &str,
    created: f64,
    backends: Vec<M>,
    not_ready: Vec<M>,
) {
    let ip = b.svc_ip(name);
    service(
        b,
        ns,
        name,
        &Svc {
            ip: Some(ip),
            ports: vec![("http", 80, V::from("http"))],
            selector: m! { "app" => name },
            created,
            labels: None,
            backends,
            not_ready,
        },
    );
}

fn first_start(tl: &Timeline) -> f64 {
    int(tl.instances[0].0) as f64
}

// ------------------------------------------------------------------------------------------
// The samples

fn s_no_foreground_plain() -> Bundle {
    let t = epoch("2026-11-28T05:00:00Z");
    let mut b = new_bundle(
        "no-foreground-plain",
        "dev-eu-1",
        "kubernetes-admin@dev-eu-1",
        Flavor::Kubeadm,
        t,
        &["shop"],
        "",
    );
    let birth = b.birth;
    let n1 = add_node(
        &mut b,
        &NodeSpec {
            name: "dev-eu-1-worker-1",
            ip: "192.168.10.21",
            pod_cidr: "10.244.1.0/24",
            created: birth + 600.0,
            ..NodeSpec::default()
        },
    );
    let n2 = add_node(
        &mut b,
        &NodeSpec {
            name: "dev-eu-1-worker-2",
            ip: "192.168.10.22",
            pod_cidr: "10.244.2.0/24",
            created: birth + 640.0,
            ..NodeSpec::default()
        },
    );
    go_service(
        &mut b,
        "shop",
        "catalog",
        &[&n2],
        t - 86400.0 * 6.0,
        "registry.example.com/shop/catalog:1.4.2",
        None,
    );
    let tl = crash_loop(
        t,
        7,
        95.0,
        &|k| 0.8 + unit(p!["cs", k]) * 0.4,
        "config-sync",
    );
    let created = first_start(&tl) - 2.0;
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "config-sync",
            image: "busybox:1.36.1",
            command: vec![
                "sh",
                "-c",
                "echo configured && cp /config/app.conf /etc/app/",
            ],
            resources: res(Some("10m"), Some("16Mi"), None, Some("32Mi")),
            mounts: vec![
                mount("config", "/config", true),
                mount("app-etc", "/etc/app", false),
            ],
            ..Ctr::default()
        })],
        volumes: vec![
            m! { "configMap" => m! { "defaultMode" => 420, "name" => "app-config" }, "name" => "config" },
            m! { "emptyDir" => M::new(), "name" => "app-etc" },
        ],
        ..Tmpl::default()
    });
    let lp = looping(tl, "Completed", 0, |s, _| {
        vec![(s + 0.012, "configured".to_owned())]
    });
    let mut d = Deploy::new(
        &spec,
        created,
        vec![PodPlan::new(
            &n1,
            created,
            statuses(vec![("config-sync", St::Loop(lp.clone()))]),
        )],
    );
    d.deadline = true;
    let made = deployment(&mut b, "shop", "config-sync", &d);
    write_logs(&mut b, "shop", &made[0], "config-sync", &lp);
    helm_configmap(&mut b, "shop", "app-config", &["app.conf"], created - 5.0);
    b
}

fn s_no_foreground_probes() -> Bundle {
    let t = epoch("2026-11-28T05:00:00Z");
    let mut b = new_bundle(
        "no-foreground-probes",
        "staging-us-1",
        "gke_acme-shop_us-central1_staging-us-1",
        Flavor::Gke,
        t,
        &["shop"],
        "us-central1",
    );
    let birth = b.birth;
    let gke = |name, ip, pod_cidr, created| NodeSpec {
        name,
        zone: "us-central1-a",
        ip,
        pod_cidr,
        instance: "e2-standard-4",
        created,
        cpu: 4,
        mem_ki: 16_383_732,
        ..NodeSpec::default()
    };
    let n1 = add_node(
        &mut b,
        &gke(
            "gke-staging-us-1-default-pool-6a7c1e2b-k3xw",
            "10.128.0.14",
            "10.52.0.0/24",
            birth + 900.0,
        ),
    );
    let n2 = add_node(
        &mut b,
        &gke(
            "gke-staging-us-1-default-pool-6a7c1e2b-q9tm",
            "10.128.0.15",
            "10.52.1.0/24",
            birth + 930.0,
        ),
    );
    frontend(
        &mut b,
        "shop",
        &[&n2],
        t - 86400.0 * 12.0,
        "web",
        1,
        "nginx:1.27.2",
    );
    let tl = crash_loop(
        t,
        9,
        170.0,
        &|k| 1.0 + unit(p!["ff", k]) * 0.3,
        "feature-flags",
    );
    let created = first_start(&tl) - 2.0;
    let probe_cmd = ["cat", "/tmp/healthy"];
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "feature-flags",
            image: "alpine:3.20.3",
            command: vec![
                "sh",
                "-c",
                "echo \"syncing feature flags from /config/flags.json\" && cp /config/flags.json /srv/flags/flags.json && echo \"flags written to /srv/flags/flags.json\"",
            ],
            resources: res(Some("10m"), Some("16Mi"), None, Some("32Mi")),
            liveness: Some(exec_probe(&probe_cmd, every(0, 5))),
            readiness: Some(exec_probe(&probe_cmd, every(0, 5))),
            mounts: vec![
                mount("flags-config", "/config", true),
                mount("flags", "/srv/flags", false),
            ],
            ..Ctr::default()
        })],
        volumes: vec![
            m! { "configMap" => m! { "defaultMode" => 420, "name" => "feature-flags" }, "name" => "flags-config" },
            m! { "emptyDir" => M::new(), "name" => "flags" },
        ],
        ..Tmpl::default()
    });
    let starts = tl.starts();
    let lp = looping(tl, "Completed", 0, |s, _| {
        vec![
            (
                s + 0.018,
                "syncing feature flags from /config/flags.json".to_owned(),
            ),
            (
                s + 0.031,
                "flags written to /srv/flags/flags.json".to_owned(),
            ),
        ]
    });
    let mut d = Deploy::new(
        &spec,
        created,
        vec![PodPlan::new(
            &n1,
            created,
            statuses(vec![("feature-flags", St::Loop(lp.clone()))]),
        )],
    );
    d.deadline = true;
    let made = deployment(&mut b, "shop", "feature-flags", &d);
    let pod = &made[0];
    write_logs(&mut b, "shop", pod, "feature-flags", &lp);
    helm_configmap(
        &mut b,
        "shop",
        "feature-flags",
        &["flags.json"],
        created - 5.0,
    );
    // The probes (period 5s, no initial delay) only hit the container in the second it is
    // alive, and never three times in a row, so there are Unhealthy events but no Killing
    // event.
    let meta = pod.map("metadata");
    let (pname, puid) = (meta.str("name").to_owned(), meta.str("uid").to_owned());
    let obj = ("Pod", pname.as_str(), puid.as_str());
    let field = "spec.containers{feature-flags}";
    let lv: Vec<f64> = starts
        .iter()
        .enumerate()
        .filter(|(i, _)| unit(p!["lv", *i]) < 0.3)
        .map(|(_, s)| *s)
        .collect();
    let rd: Vec<f64> = starts
        .iter()
        .enumerate()
        .filter(|(i, _)| unit(p!["rd", *i]) < 0.35)
        .map(|(_, s)| *s)
        .collect();
    add_event(
        &mut b,
        "shop",
        obj,
        "Unhealthy",
        "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory",
        lv[0] + 0.5,
        &warning(lv[lv.len() - 1] + 0.5, count(lv.len()), field, &n1),
    );
    add_event(
        &mut b,
        "shop",
        obj,
        "Unhealthy",
        "Readiness probe failed: cat: can't open '/tmp/healthy': No such file or directory",
        rd[0] + 0.4,
        &warning(rd[rd.len() - 1] + 0.4, count(rd.len()), field, &n1),
    );
    let task = hexid(p![&b.cluster, &pname, "feature-flags", 3i64], 64);
    add_event(
        &mut b,
        "shop",
        obj,
        "Unhealthy",
        &format!(
            "Readiness probe errored: rpc error: code = NotFound desc = failed to exec in container: failed to load task: no running task found: task {task} not found: not found"
        ),
        starts[3] + 1.4,
        &warning(starts[starts.len() - 2] + 1.4, 4, field, &n1),
    );
    b
}

fn payments_logs(start: f64, end: f64) -> Lines {
    let mut lines = vec![(
        start + 0.35,
        "Picked up JAVA_TOOL_OPTIONS: -Xmx768m -XX:+UseG1GC".to_owned(),
    )];
    lines.extend(spring(
        start + 0.4,
        "payments",
        SPRING_BANNER,
        PAYMENTS_ENTRIES,
    ));
    let mut t = start + 60.0;
    let mut batch = 88100 + int(unit(p!["batch", start]) * 500.0);
    let mut cache = 40_000i64;
    while t < end - 20.0 {
        batch += 1;
        cache += 9_000 + int(unit(p!["cache", t]) * 4000.0);
        let dur = 1.8 + unit(p!["dur", t]) * 1.9;
        lines.push((t, format!(
            "{}  INFO 1 --- [payments] [   scheduling-1] c.e.payments.settlement.BatchSettler     : Settled batch {batch}: 1500 payments in {dur:.2} s (ledger cache: {cache} entries)",
            iso_ms(t - 0.002)
        )));
        t += 150.0 + unit(p!["gap", t]) * 90.0;
    }
    lines
}

fn s_oom_killed() -> Bundle {
    let t = epoch("2026-11-28T05:00:00Z");
    let mut b = new_bundle(
        "oom-killed",
        "prod-eu-1",
        "arn:aws:eks:eu-central-1:123456789012:cluster/prod-eu-1",
        Flavor::Eks,
        t,
        &["shop"],
        "eu-central-1",
    );
    b.managed_fields = true; // collected with managedFields (kubectl --show-managed-fields)
    let birth = b.birth;
    let eks = |name, zone, ip, pod_cidr, created| NodeSpec {
        name,
        zone,
        ip,
        pod_cidr,
        instance: "m6i.xlarge",
        created,
        cpu: 4,
        mem_ki: 15_896_524,
        ..NodeSpec::default()
    };
    let nodes = [
        add_node(
            &mut b,
            &eks(
                "ip-10-0-21-143.eu-central-1.compute.internal",
                "eu-central-1a",
                "10.0.21.143",
                "10.0.21.0/24",
                birth + 86400.0 * 20.0,
            ),
        ),
        add_node(
            &mut b,
            &eks(
                "ip-10-0-37-88.eu-central-1.compute.internal",
                "eu-central-1b",
                "10.0.37.88",
                "10.0.37.0/24",
                birth + 86400.0 * 31.0,
            ),
        ),
    ];
    frontend(
        &mut b,
        "shop",
        &[&nodes[0], &nodes[1]],
        t - 86400.0 * 4.0,
        "web",
        1,
        "nginx:1.27.2",
    );
    let created = t - 6.0 * 3600.0 - 1270.0;
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "payments",
            image: "registry.example.com/shop/payments:2.14.3",
            env: vec![
                env("JAVA_TOOL_OPTIONS", "-Xmx768m -XX:+UseG1GC"),
                env("SPRING_PROFILES_ACTIVE", "prod"),
                env(
                    "DB_URL",
                    "jdbc:postgresql://payments-db.shop.svc.cluster.local:5432/payments",
                ),
                env("DB_USER", "payments"),
                env_from("DB_PASSWORD", &Src::Secret("payments-db", "password")),
            ],
            ports: vec![("http", 8080)],
            resources: res(Some("500m"), Some("512Mi"), Some("1"), Some("512Mi")),
            liveness: Some(http_probe(
                "/actuator/health/liveness",
                "http",
                every(60, 10),
            )),
            readiness: Some(http_probe(
                "/actuator/health/readiness",
                "http",
                every(20, 5),
            )),
            ..Ctr::default()
        })],
        sa: Some("payments"),
        ..Tmpl::default()
    });
    let mut pods = Vec::new();
    let mut loops = Vec::new();
    for (i, (n, last, restarts)) in [(&nodes[0], t - 192.0, 9), (&nodes[1], t - 671.0, 7)]
        .into_iter()
        .enumerate()
    {
        let tl = long_runs(
            last,
            restarts,
            &|k| 2290.0 + unit(p!["oom", i, k]) * 380.0,
            &format!("payments{i}"),
        );
        let ready_since = tl.current_start + 14.0;
        let created = first_start(&tl) - 3.0;
        let lp = looping(tl, "OOMKilled", 137, payments_logs);
        let mut plan = PodPlan::new(
            n,
            created,
            statuses(vec![("payments", St::Loop(lp.clone()))]),
        );
        plan.ready_since = Some(ready_since);
        pods.push(plan);
        loops.push(lp);
    }
    // the third replica was recreated 38 minutes ago (its node was drained) and has not grown yet
    let third_start = t - 38.0 * 60.0 + 3.0;
    let mut plan = PodPlan::new(
        &nodes[0],
        third_start - 3.0,
        statuses(vec![("payments", running(third_start))]),
    );
    plan.ready_since = Some(third_start + 14.0);
    pods.push(plan);
    let made = deployment(
        &mut b,
        "shop",
        "payments",
        &Deploy::new(&spec, created - 86400.0 * 21.0, pods),
    );
    for (pod, lp) in made.iter().zip(&loops) {
        write_logs(&mut b, "shop", pod, "payments", lp);
    }
    let is_ready = |p: &M| {
        p.map("status").list("containerStatuses")[0]
            .map()
            .get("ready")
            == Some(&V::Bool(true))
    };
    let backends = made.iter().filter(|p| is_ready(p)).cloned().collect();
    let not_ready = made.iter().filter(|p| !is_ready(p)).cloned().collect();
    http_service(
        &mut b,
        "shop",
        "payments",
        created - 86400.0 * 21.0,
        backends,
        not_ready,
    );
    secret(
        &mut b,
        "shop",
        "payments-db",
        &["password", "username"],
        created - 86400.0 * 21.0,
        None,
    );
    b
}

fn s_liveness_probe_kill() -> Bundle {
    let t = epoch("2026-11-28T05:00:00Z");
    let mut b = new_bundle(
        "liveness-probe-kill",
        "prod-eu-2",
        "kubernetes-admin@prod-eu-2",
        Flavor::Kubeadm,
        t,
        &["shop"],
        "",
    );
    let birth = b.birth;
    let n1 = add_node(
        &mut b,
        &NodeSpec {
            name: "prod-eu-2-worker-1",
            ip: "192.168.20.11",
            pod_cidr: "10.244.1.0/24",
            created: birth + 700.0,
            cpu: 4,
            mem_ki: 16_374_200,
            ..NodeSpec::default()
        },
    );
    let n2 = add_node(
        &mut b,
        &NodeSpec {
            name: "prod-eu-2-worker-2",
            ip: "192.168.20.12",
            pod_cidr: "10.244.2.0/24",
            created: birth + 760.0,
            cpu: 4,
            mem_ki: 16_374_200,
            ..NodeSpec::default()
        },
    );
    b.ip_next.insert(n1.clone(), 17); // the orders pod gets 10.244.1.17
    let tl = crash_loop(t, 5, 70.0, &|k| 58.6 + unit(p!["lv", k]) * 1.2, "orders");
    let created = first_start(&tl) - 2.0;
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "orders",
            image: "registry.example.com/shop/orders:3.2.0",
            env: vec![
                env("SPRING_PROFILES_ACTIVE", "prod"),
                env("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75"),
                env(
                    "SPRING_DATASOURCE_URL",
                    "jdbc:postgresql://orders-db.shop.svc.cluster.local:5432/orders",
                ),
                env("SPRING_DATASOURCE_USERNAME", "orders"),
                env_from(
                    "SPRING_DATASOURCE_PASSWORD",
                    &Src::Secret("orders-db", "password"),
                ),
            ],
            ports: vec![("http", 8080)],
            resources: res(Some("250m"), Some("1Gi"), Some("500m"), Some("1Gi")),
            liveness: Some(http_probe("/actuator/health", 8080, every(30, 10))),
            readiness: Some(http_probe("/actuator/health/readiness", 8080, every(20, 5))),
            ..Ctr::default()
        })],
        ..Tmpl::default()
    });
    let starts = tl.starts();
    let kills: Vec<f64> = tl.instances.iter().map(|i| i.1).collect();
    let lp = looping(tl, "Error", 143, |s, _| {
        let mut lines = vec![(
            s + 0.3,
            "Picked up JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=75".to_owned(),
        )];
        lines.extend(spring(s + 0.4, "orders", SPRING_BANNER, ORDERS_ENTRIES));
        lines
    });
    let mut d = Deploy::new(
        &spec,
        created,
        vec![PodPlan::new(
            &n1,
            created,
            statuses(vec![("orders", St::Loop(lp.clone()))]),
        )],
    );
    d.deadline = true;
    let made = deployment(&mut b, "shop", "orders", &d);
    let pod = &made[0];
    write_logs(&mut b, "shop", pod, "orders", &lp);
    let ip = pod.map("status").str("podIP").to_owned();
    let meta = pod.map("metadata");
    let (pname, puid) = (meta.str("name").to_owned(), meta.str("uid").to_owned());
    let obj = ("Pod", pname.as_str(), puid.as_str());
    let field = "spec.containers{orders}";
    let n = count(kills.len());
    let last_kill = kills[kills.len() - 1];
    add_event(
        &mut b,
        "shop",
        obj,
        "Unhealthy",
        &format!(
            "Liveness probe failed: Get \"http://{ip}:8080/actuator/health\": dial tcp {ip}:8080: connect: connection refused"
        ),
        starts[0] + 38.2,
        &warning(last_kill - 0.3, 3 * n, field, &n1),
    );
    add_event(
        &mut b,
        "shop",
        obj,
        "Unhealthy",
        &format!(
            "Readiness probe failed: Get \"http://{ip}:8080/actuator/health/readiness\": dial tcp {ip}:8080: connect: connection refused"
        ),
        starts[0] + 21.1,
        &warning(last_kill - 2.4, 8 * n, field, &n1),
    );
    add_event(
        &mut b,
        "shop",
        obj,
        "Killing",
        "Container orders failed liveness probe, will be restarted",
        kills[0] - 0.25,
        &Ev {
            last: Some(last_kill - 0.25),
            count: n,
            field: Some(field.to_owned()),
            host: Some(&n1),
            ..Ev::default()
        },
    );
    http_service(
        &mut b,
        "shop",
        "orders",
        created,
        Vec::new(),
        vec![pod.clone()],
    );
    secret(
        &mut b,
        "shop",
        "orders-db",
        &["password"],
        created - 3600.0,
        None,
    );
    frontend(
        &mut b,
        "shop",
        &[&n2],
        t - 86400.0 * 17.0,
        "frontend",
        1,
        "nginx:1.27.2",
    );
    b
}

fn s_bad_args() -> Bundle {
    let t = epoch("2026-11-28T05:00:00Z");
    let mut b = new_bundle(
        "bad-args",
        "staging-eu-1",
        "staging-eu-1",
        Flavor::Aks,
        t,
        &["shop"],
        "westeurope",
    );
    let birth = b.birth;
    let n1 = add_node(
        &mut b,
        &aks_node(
            "aks-nodepool1-31415926-vmss000000",
            "westeurope-1",
            "10.224.0.4",
            "10.244.0.0/24",
            birth + 500.0,
        ),
    );
    let n2 = add_node(
        &mut b,
        &aks_node(
            "aks-nodepool1-31415926-vmss000001",
            "westeurope-2",
            "10.224.0.5",
            "10.244.1.0/24",
            birth + 520.0,
        ),
    );
    go_service(
        &mut b,
        "shop",
        "cart",
        &[&n2],
        t - 86400.0 * 8.0,
        "registry.example.com/shop/cart:2.0.7",
        None,
    );
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "inventory",
            image: "registry.example.com/shop/inventory:1.8.0",
            args: vec!["--listen-addr=:8080", "--enable-tracing"],
            env: vec![
                env(
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    "http://otel-collector.observability:4317",
                ),
                env_from(
                    "INVENTORY_DB_PASSWORD",
                    &Src::Secret("inventory-db", "password"),
                ),
            ],
            ports: vec![("http", 8080), ("metrics", 9090)],
            resources: res(Some("100m"), Some("64Mi"), None, Some("128Mi")),
            liveness: Some(http_probe("/healthz", "http", every(5, 10))),
            readiness: Some(http_probe("/readyz", "http", every(0, 5))),
            security: Some(m! {
                "allowPrivilegeEscalation" => false,
                "capabilities" => m! { "drop" => l!["ALL"] },
                "readOnlyRootFilesystem" => true,
                "runAsNonRoot" => true,
                "runAsUser" => 65532,
            }),
            ..Ctr::default()
        })],
        ..Tmpl::default()
    });
    let logs = |s: f64, _| {
        let mut lines = vec![(
            s + 0.004,
            "flag provided but not defined: -enable-tracing".to_owned(),
        )];
        lines.extend(
            GO_USAGE
                .iter()
                .enumerate()
                .map(|(i, line)| (s + 0.005 + i as f64 * 0.0001, (*line).to_owned())),
        );
        lines
    };
    let mut pods = Vec::new();
    let mut loops = Vec::new();
    for (i, n) in [&n1, &n2].into_iter().enumerate() {
        let tl = crash_loop(
            t,
            8,
            130.0 - 2.0 * i as f64,
            &|k| 0.02 + unit(p!["ba", i, k]) * 0.05,
            &format!("inventory{i}"),
        );
        let created = first_start(&tl) - 2.0;
        let lp = looping(tl, "Error", 2, logs);
        pods.push(PodPlan::new(
            n,
            created,
            statuses(vec![("inventory", St::Loop(lp.clone()))]),
        ));
        loops.push(lp);
    }
    let created = pods.iter().map(|p| p.created).fold(f64::MAX, f64::min) - 1.0;
    let mut d = Deploy::new(&spec, created, pods);
    d.deadline = true;
    let made = deployment(&mut b, "shop", "inventory", &d);
    for (pod, lp) in made.iter().zip(&loops) {
        write_logs(&mut b, "shop", pod, "inventory", lp);
    }
    http_service(&mut b, "shop", "inventory", created, Vec::new(), made);
    secret(
        &mut b,
        "shop",
        "inventory-db",
        &["password"],
        created - 86400.0,
        None,
    );
    b
}

fn s_exec_format() -> Bundle {
    let t = epoch("2026-11-28T05:00:00Z");
    let mut b = new_bundle(
        "exec-format",
        "prod-us-2",
        "arn:aws:eks:us-west-2:123456789012:cluster/prod-us-2",
        Flavor::Eks,
        t,
        &["media"],
        "us-west-2",
    );
    let birth = b.birth;
    let amd = add_node(
        &mut b,
        &NodeSpec {
            name: "ip-10-1-14-201.us-west-2.compute.internal",
            zone: "us-west-2a",
            ip: "10.1.14.201",
            pod_cidr: "10.1.14.0/24",
            instance: "m6i.large",
            created: birth + 86400.0 * 40.0,
            ..NodeSpec::default()
        },
    );
    let arm = add_node(
        &mut b,
        &NodeSpec {
            name: "ip-10-1-40-118.us-west-2.compute.internal",
            arch: "arm64",
            zone: "us-west-2c",
            ip: "10.1.40.118",
            pod_cidr: "10.1.40.0/24",
            instance: "m7g.large",
            created: t - 3.0 * 3600.0 - 700.0,
            ..NodeSpec::default()
        },
    );
    // a multi-arch image runs fine on the same arm64 node
    frontend(
        &mut b,
        "media",
        &[&arm],
        t - 86400.0 * 5.0,
        "gallery",
        1,
        "nginxinc/nginx-unprivileged:1.27.2",
    );
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "worker",
            image: "registry.example.com/media/thumbnailer:0.9.4",
            command: vec!["/usr/local/bin/worker"],
            args: vec!["--queue=thumbnails", "--concurrency=4"],
            env: vec![
                env("REDIS_ADDR", "redis.media.svc.cluster.local:6379"),
                env("S3_BUCKET", "acme-media-prod"),
            ],
            resources: res(Some("250m"), Some("256Mi"), None, Some("512Mi")),
            ..Ctr::default()
        })],
        sa: Some("thumbnailer"),
        ..Tmpl::default()
    });
    let tl = crash_loop(t, 12, 240.0, &|k| 0.01 + unit(p!["ef", k]) * 0.02, "thumb");
    let created = first_start(&tl) - 2.0;
    let lp = looping(tl, "Error", 1, |s, _| {
        vec![(
            s + 0.002,
            "exec /usr/local/bin/worker: exec format error".to_owned(),
        )]
    });
    let pods = vec![
        PodPlan::new(
            &arm,
            created,
            statuses(vec![("worker", St::Loop(lp.clone()))]),
        ),
        PodPlan::new(
            &amd,
            t - 86400.0 * 2.0 - 4000.0,
            statuses(vec![("worker", running(t - 86400.0 * 2.0 - 3996.0))]),
        ),
    ];
    let made = deployment(
        &mut b,
        "media",
        "thumbnailer",
        &Deploy::new(&spec, t - 86400.0 * 19.0, pods),
    );
    write_logs(&mut b, "media", &made[0], "worker", &lp);
    b
}

fn storefront_logs(_s: f64, f: f64) -> Lines {
    STOREFRONT_LOG
        .iter()
        .enumerate()
        .map(|(i, x)| (f - 0.09 + i as f64 * 0.0005, (*x).to_owned()))
        .collect()
}

fn s_dependency_unreachable() -> Bundle {
    let t = epoch("2026-11-28T05:00:00Z");
    let mut b = new_bundle(
        "dependency-unreachable",
        "shop-prod-1",
        "kubernetes-admin@shop-prod-1",
        Flavor::Kubeadm,
        t,
        &["shop"],
        "",
    );
    let birth = b.birth;
    let n1 = add_node(
        &mut b,
        &NodeSpec {
            name: "shop-prod-1-worker-1",
            ip: "192.168.30.11",
            pod_cidr: "10.244.1.0/24",
            created: birth + 620.0,
            cpu: 4,
            mem_ki: 16_374_200,
            ..NodeSpec::default()
        },
    );
    let n2 = add_node(
        &mut b,
        &NodeSpec {
            name: "shop-prod-1-worker-2",
            ip: "192.168.30.12",
            pod_cidr: "10.244.2.0/24",
            created: birth + 650.0,
            cpu: 4,
            mem_ki: 16_374_200,
            ..NodeSpec::default()
        },
    );
    b.svc_ips
        .insert("postgres".to_owned(), "10.96.14.3".to_owned());
    let scaled = t - 58.0 * 60.0 - 21.0;
    let pg_spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "postgres",
            image: "postgres:16.4",
            env: vec![
                env("POSTGRES_DB", "storefront"),
                env("POSTGRES_USER", "storefront"),
                env_from(
                    "POSTGRES_PASSWORD",
                    &Src::Secret("postgres-credentials", "password"),
                ),
                env("PGDATA", "/var/lib/postgresql/data/pgdata"),
            ],
            ports: vec![("postgres", 5432)],
            resources: res(Some("250m"), Some("512Mi"), None, Some("1Gi")),
            liveness: Some(exec_probe(
                &["pg_isready", "-U", "storefront"],
                every(30, 10),
            )),
            readiness: Some(exec_probe(&["pg_isready", "-U", "storefront"], every(5, 5))),
            mounts: vec![mount("data", "/var/lib/postgresql/data", false)],
            ..Ctr::default()
        })],
        ..Tmpl::default()
    });
    let pg_created = t - 86400.0 * 74.0;
    let sts_uid = statefulset(
        &mut b,
        "shop",
        "postgres",
        &pg_spec,
        pg_created,
        "postgres-hl",
        ("data", "20Gi"),
        scaled,
    );
    add_event(
        &mut b,
        "shop",
        ("StatefulSet", "postgres", &sts_uid),
        "SuccessfulDelete",
        "delete Pod postgres-0 in StatefulSet postgres successful",
        scaled + 1.0,
        &by("statefulset-controller", "apps/v1"),
    );
    pvc(
        &mut b,
        "shop",
        "data-postgres-0",
        "20Gi",
        pg_created + 2.0,
        &n2,
        "local-path",
    );
    for (name, ip) in [
        ("postgres", Some("10.96.14.3".to_owned())),
        ("postgres-hl", None),
    ] {
        service(
            &mut b,
            "shop",
            name,
            &Svc {
                ip,
                ports: vec![("postgres", 5432, V::from("postgres"))],
                selector: m! { "app" => "postgres" },
                created: pg_created,
                labels: None,
                backends: Vec::new(),
                not_ready: Vec::new(),
            },
        );
    }
    secret(
        &mut b,
        "shop",
        "postgres-credentials",
        &["password"],
        pg_created,
        None,
    );

    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "storefront",
            image: "registry.example.com/shop/storefront:5.1.0",
            command: vec![
                "sh",
                "-c",
                "python manage.py migrate --noinput && exec gunicorn storefront.wsgi:application --bind 0.0.0.0:8000 --workers 3 --access-logfile -",
            ],
            env: vec![
                env("DJANGO_SETTINGS_MODULE", "storefront.settings.production"),
                env("DJANGO_SECRET_KEY", "x"),
                env("DATABASE_HOST", "postgres.shop.svc.cluster.local"),
                env("DATABASE_PORT", "5432"),
                env("DATABASE_NAME", "storefront"),
                env("DATABASE_USER", "storefront"),
                env_from(
                    "DATABASE_PASSWORD",
                    &Src::Secret("postgres-credentials", "password"),
                ),
                env("REDIS_URL", "redis://redis.shop.svc.cluster.local:6379/0"),
            ],
            ports: vec![("http", 8000)],
            resources: res(Some("200m"), Some("256Mi"), None, Some("512Mi")),
            liveness: Some(http_probe("/healthz/", "http", every(20, 10))),
            readiness: Some(http_probe("/healthz/", "http", every(5, 5))),
            ..Ctr::default()
        })],
        ..Tmpl::default()
    });
    let tl = crash_loop(
        t,
        11,
        44.0,
        &|k| 2.2 + unit(p!["sf", k]) * 0.9,
        "storefront",
    );
    let created = first_start(&tl) - 2.0;
    let lp = looping(tl, "Error", 1, storefront_logs);
    let pods = vec![PodPlan::new(
        &n1,
        created,
        statuses(vec![("storefront", St::Loop(lp.clone()))]),
    )];
    let made = deployment(
        &mut b,
        "shop",
        "storefront",
        &Deploy::new(&spec, t - 86400.0 * 74.0, pods),
    );
    write_logs(&mut b, "shop", &made[0], "storefront", &lp);
    http_service(
        &mut b,
        "shop",
        "storefront",
        t - 86400.0 * 74.0,
        Vec::new(),
        made,
    );
    redis(&mut b, "shop", &n1, t - 86400.0 * 74.0);
    b
}

fn checkout_logs(s: f64, pod: &str) -> Lines {
    CHECKOUT_LOG
        .iter()
        .enumerate()
        .map(|(i, x)| {
            if i == 0 {
                let t = s + 0.38;
                let ms = int((t * 1000.0).round_ties_even());
                (
                    t,
                    x.replacen("%s", &ms.to_string(), 1).replacen("%s", pod, 1),
                )
            } else {
                (s + 0.41 + i as f64 * 0.0002, (*x).to_owned())
            }
        })
        .collect()
}

fn s_missing_env() -> Bundle {
    let t = epoch("2026-11-28T05:00:00Z");
    let mut b = new_bundle(
        "missing-env",
        "staging-ap-1",
        "gke_acme-shop_asia-southeast1_staging-ap-1",
        Flavor::Gke,
        t,
        &["shop"],
        "asia-southeast1",
    );
    let birth = b.birth;
    let gke = |name, zone, ip, pod_cidr, created| NodeSpec {
        name,
        zone,
        ip,
        pod_cidr,
        instance: "e2-standard-4",
        created,
        cpu: 4,
        mem_ki: 16_383_732,
        ..NodeSpec::default()
    };
    let n1 = add_node(
        &mut b,
        &gke(
            "gke-staging-ap-1-default-pool-0b3d9f1e-2mzt",
            "asia-southeast1-a",
            "10.148.0.7",
            "10.60.0.0/24",
            birth + 800.0,
        ),
    );
    let n2 = add_node(
        &mut b,
        &gke(
            "gke-staging-ap-1-default-pool-0b3d9f1e-h7vq",
            "asia-southeast1-b",
            "10.148.0.8",
            "10.60.1.0/24",
            birth + 820.0,
        ),
    );
    go_service(
        &mut b,
        "shop",
        "cart",
        &[&n1],
        t - 86400.0 * 15.0,
        "registry.example.com/shop/cart:2.0.7",
        None,
    );
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "checkout",
            image: "registry.example.com/shop/checkout:4.0.1",
            env: vec![
                env("NODE_ENV", "production"),
                env("PORT", "3000"),
                env_from("STRIPE_API_KEY", &Src::Secret("checkout-stripe", "api-key")),
                env_from(
                    "STRIPE_WEBHOOK_SECRET",
                    &Src::Secret("checkout-stripe", "webhook-secret"),
                ),
                env("CART_URL", "http://cart.shop.svc.cluster.local"),
            ],
            ports: vec![("http", 3000)],
            resources: res(Some("100m"), Some("128Mi"), None, Some("256Mi")),
            liveness: Some(http_probe("/health", "http", every(10, 10))),
            readiness: Some(http_probe("/ready", "http", every(0, 5))),
            message_policy: "FallbackToLogsOnError",
            ..Ctr::default()
        })],
        ..Tmpl::default()
    });
    let tl = crash_loop(t, 9, 222.0, &|k| 0.45 + unit(p!["ck", k]) * 0.2, "checkout");
    let created = first_start(&tl) - 2.0;
    let rs_hash = safe(10, p![&b.cluster, "shop", "checkout", "template", 1i64]);
    let pod_name = format!(
        "checkout-{rs_hash}-{}",
        safe(5, p![&b.cluster, &format!("checkout-{rs_hash}"), 0i64])
    );
    let for_logs = pod_name.clone();
    let lp = Rc::new(Loop {
        timeline: tl,
        reason: "Error",
        exit_code: 1,
        message: Some(Box::new(move |s, _| {
            checkout_logs(s, &pod_name)
                .into_iter()
                .map(|(_, text)| text + "\n")
                .collect()
        })),
        logs: Box::new(move |s, _| checkout_logs(s, &for_logs)),
    });
    let mut d = Deploy::new(
        &spec,
        created,
        vec![PodPlan::new(
            &n2,
            created,
            statuses(vec![("checkout", St::Loop(lp.clone()))]),
        )],
    );
    d.deadline = true;
    let made = deployment(&mut b, "shop", "checkout", &d);
    write_logs(&mut b, "shop", &made[0], "checkout", &lp);
    http_service(&mut b, "shop", "checkout", created, Vec::new(), made);
    secret(
        &mut b,
        "shop",
        "checkout-stripe",
        &["api-key", "webhook-secret"],
        t - 86400.0 * 20.0,
        None,
    );
    b
}

fn s_init_container_loop() -> Bundle {
    let t = epoch("2026-11-28T05:00:00Z");
    let mut b = new_bundle(
        "init-container-loop",
        "qa-eu-1",
        "kubernetes-admin@qa-eu-1",
        Flavor::Kubeadm,
        t,
        &["shop"],
        "",
    );
    let birth = b.birth;
    let n1 = add_node(
        &mut b,
        &NodeSpec {
            name: "qa-eu-1-worker-1",
            ip: "192.168.40.11",
            pod_cidr: "10.244.1.0/24",
            created: birth + 610.0,
            ..NodeSpec::default()
        },
    );
    let n2 = add_node(
        &mut b,
        &NodeSpec {
            name: "qa-eu-1-worker-2",
            ip: "192.168.40.12",
            pod_cidr: "10.244.2.0/24",
            created: birth + 655.0,
            ..NodeSpec::default()
        },
    );
    frontend(
        &mut b,
        "shop",
        &[&n2],
        t - 86400.0 * 2.0,
        "frontend",
        1,
        "nginx:1.27.2",
    );
    let host = "db-migrations.shop.svc.cluster.local";
    let script = format!(
        "for i in 1 2 3 4 5 6; do nslookup {host} && exit 0; echo \"waiting for {host} ($i/6)\"; sleep 10; done; echo \"giving up: {host} did not resolve\"; exit 1"
    );
    let init = vec![container(Ctr {
        name: "wait-for-migrations",
        image: "busybox:1.28",
        command: vec!["sh", "-c", &script],
        resources: res(Some("10m"), Some("16Mi"), None, Some("32Mi")),
        ..Ctr::default()
    })];
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "reviews",
            image: "registry.example.com/shop/reviews:2.3.1",
            env: vec![
                env_from("DATABASE_URL", &Src::Secret("reviews-db", "url")),
                env("LOG_FORMAT", "json"),
            ],
            ports: vec![("http", 8080)],
            resources: res(Some("100m"), Some("128Mi"), None, Some("256Mi")),
            liveness: Some(http_probe("/healthz", "http", every(10, 10))),
            readiness: Some(http_probe("/readyz", "http", every(0, 5))),
            ..Ctr::default()
        })],
        init,
        ..Tmpl::default()
    });
    let logs = move |s: f64, _| {
        let mut out = Vec::new();
        let mut at = s + 0.05;
        for i in 1..=6i64 {
            out.push((at, "Server:    10.96.0.10".to_owned()));
            out.push((
                at + 0.0004,
                "Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local".to_owned(),
            ));
            out.push((at + 0.0006, String::new()));
            out.push((at + 0.012, format!("nslookup: can't resolve '{host}'")));
            out.push((at + 0.013, format!("waiting for {host} ({i}/6)")));
            at += 10.03 + unit(p!["ns", s, i]) * 0.02;
        }
        out.push((at, format!("giving up: {host} did not resolve")));
        out
    };
    let tl = crash_loop(
        t,
        6,
        200.0,
        &|k| 60.2 + unit(p!["ic", k]) * 0.3,
        "wait-for-migrations",
    );
    let created = first_start(&tl) - 2.0;
    let lp = looping(tl, "Error", 1, logs);
    let mut plan = PodPlan::new(&n1, created, statuses(vec![("reviews", St::Initializing)]));
    plan.init_statuses = statuses(vec![("wait-for-migrations", St::Loop(lp.clone()))]);
    let mut d = Deploy::new(&spec, created, vec![plan]);
    d.deadline = true;
    let made = deployment(&mut b, "shop", "reviews", &d);
    let pod = &made[0];
    write_logs(&mut b, "shop", pod, "wait-for-migrations", &lp);
    let pname = pod.map("metadata").str("name");
    let err = format!(
        "Error from server (BadRequest): container \"reviews\" in pod \"{pname}\" is waiting to start: PodInitializing"
    );
    b.logs
        .insert(format!("logs/shop/{pname}/reviews.log"), format!("{err}\n"));
    b.errors.push(m! {
        "command" => format!("kubectl logs {pname} -n shop -c reviews --timestamps --tail=1000"),
        "exit_code" => 1,
        "stderr" => err,
    });
    http_service(&mut b, "shop", "reviews", created, Vec::new(), made.clone());
    secret(
        &mut b,
        "shop",
        "reviews-db",
        &["url"],
        created - 3600.0,
        None,
    );
    b
}

fn logrus(t: f64, level: &str, msg: &str, extra: &str) -> (f64, String) {
    (
        t,
        format!("time=\"{}\" level={level} msg=\"{msg}\"{extra}", iso(t)),
    )
}

fn s_healthy() -> Bundle {
    let t = epoch("2026-11-28T05:00:00Z");
    let mut b = new_bundle(
        "healthy",
        "prod-ca-1",
        "prod-ca-1",
        Flavor::Aks,
        t,
        &["monitoring", "shop"],
        "canadacentral",
    );
    let birth = b.birth;
    let n1 = add_node(
        &mut b,
        &aks_node(
            "aks-nodepool1-27182818-vmss000000",
            "canadacentral-1",
            "10.224.0.4",
            "10.244.0.0/24",
            birth + 500.0,
        ),
    );
    let n2 = add_node(
        &mut b,
        &aks_node(
            "aks-nodepool1-27182818-vmss000001",
            "canadacentral-2",
            "10.224.0.5",
            "10.244.1.0/24",
            birth + 540.0,
        ),
    );
    frontend(
        &mut b,
        "shop",
        &[&n1, &n2],
        t - 86400.0 * 10.0,
        "frontend",
        2,
        "nginx:1.27.2",
    );
    // catalog restarted once, three days ago, and has been running since
    let crash = epoch("2026-11-25T03:12:44Z");
    let cat_created = t - 86400.0 * 9.0 - 5400.0;
    let last = m! {
        "containerID" => format!("containerd://{}", hexid(p![&b.cluster, "catalog", "old"], 64)),
        "exitCode" => 1,
        "finishedAt" => iso(crash),
        "reason" => "Error",
        "startedAt" => iso(cat_created + 4.0),
    };
    let cat = go_service(
        &mut b,
        "shop",
        "catalog",
        &[&n2],
        cat_created,
        "registry.example.com/shop/catalog:1.4.2",
        Some(St::Running {
            started: crash + 2.0,
            restarts: 1,
            last: Some(last),
        }),
    );
    let pname = cat[0].map("metadata").str("name").to_owned();
    let redis_addr = " addr=\"redis.shop.svc.cluster.local:6379\"";
    let mut prev: Lines = (0..8i64)
        .map(|i| {
            logrus(
                crash - 3600.0 * 5.0 + (i * 1800) as f64 + unit(p!["c", i]) * 100.0,
                "info",
                "refreshed product index",
                &format!(
                    " items={} duration={}ms",
                    18234 + i * 3,
                    140 + int(unit(p!["d", i]) * 60.0)
                ),
            )
        })
        .collect();
    prev.push(logrus(
        crash - 61.2,
        "warning",
        "redis ping failed, retrying",
        &format!(" attempt=1{redis_addr}"),
    ));
    prev.push(logrus(
        crash - 30.1,
        "warning",
        "redis ping failed, retrying",
        &format!(" attempt=2{redis_addr}"),
    ));
    prev.push(logrus(
        crash - 0.4,
        "fatal",
        "redis unavailable for 60s, exiting so the pod restarts",
        "",
    ));
    let mut cur = vec![
        logrus(
            crash + 2.3,
            "info",
            "starting catalog",
            " version=1.4.2 listen=\":8080\"",
        ),
        logrus(crash + 2.5, "info", "connected to redis", redis_addr),
    ];
    cur.extend((0..8i64).map(|i| {
        logrus(
            t - 3600.0 * 4.0 + (i * 1800) as f64 + unit(p!["c2", i]) * 100.0,
            "info",
            "refreshed product index",
            &format!(
                " items={} duration={}ms",
                18410 + i * 2,
                130 + int(unit(p!["d2", i]) * 60.0)
            ),
        )
    }));
    let salt = p![&b.cluster, &pname];
    let (prev, cur) = (render_log(&prev, salt), render_log(&cur, salt));
    b.logs
        .insert(format!("logs/shop/{pname}/catalog.previous.log"), prev);
    b.logs.insert(format!("logs/shop/{pname}/catalog.log"), cur);

    nightly_report(&mut b, &n2);
    node_exporter(&mut b, &n1, &n2);
    b
}

/// A CronJob whose 04:30 run completed, its Job and the Job's pod.
fn nightly_report(b: &mut Bundle, n2: &str) {
    let t = b.t;
    let sched = epoch("2026-11-28T04:30:00Z");
    let job_name = format!("nightly-report-{}", int(sched) / 60);
    let cj_uid = b.uid(p!["cronjob", "shop", "nightly-report"]);
    let job_uid = b.uid(p!["job", "shop", &job_name]);
    let job_container = container(Ctr {
        name: "report",
        image: "registry.example.com/shop/reports:1.2.0",
        args: vec![
            "generate",
            "--period=daily",
            "--upload=s3://acme-reports/shop/",
        ],
        env: vec![env_from(
            "REPORTS_DB_DSN",
            &Src::Secret("reports-db", "dsn"),
        )],
        resources: res(Some("100m"), Some("128Mi"), None, Some("512Mi")),
        ..Ctr::default()
    });
    let job_template = pod_template_spec(Tmpl {
        containers: vec![job_container.clone()],
        restart: "OnFailure",
        ..Tmpl::default()
    });
    let job_labels = m! {
        "batch.kubernetes.io/controller-uid" => &job_uid,
        "batch.kubernetes.io/job-name" => &job_name,
        "controller-uid" => &job_uid,
        "job-name" => &job_name,
    };
    let (started, finished) = (sched + 3.0, sched + 74.0);
    let jpod_name = format!("{job_name}-{}", safe(5, p![&b.cluster, &job_name]));
    let done = St::Done { started, finished };
    let jpod = make_pod(
        b,
        "shop",
        &jpod_name,
        &PodArgs {
            owner: ("Job", &job_name, &job_uid),
            labels: job_labels.clone(),
            spec: &job_template,
            node: n2,
            created: sched + 1.0,
            statuses: &statuses(vec![("report", done.clone())]),
            init_statuses: &Vec::new(),
            annotations: None,
            ready_since: None,
            generate_name: Some(format!("{job_name}-")),
            phase: Some("Succeeded"),
            status_changed: Some(finished + 1.0),
            finished: Some(finished),
        },
    );
    add_scheduled(b, "shop", &jpod, n2, sched + 1.0);
    container_events(b, "shop", &jpod, &job_container, &done, false);
    let job_spec = m! {
        "backoffLimit" => 2,
        "completionMode" => "NonIndexed",
        "completions" => 1,
        "manualSelector" => false,
        "parallelism" => 1,
        "podReplacementPolicy" => "TerminatingOrFailed",
        "selector" => m! { "matchLabels" => m! { "batch.kubernetes.io/controller-uid" => &job_uid } },
        "suspend" => false,
        "template" => m! { "metadata" => m! { "creationTimestamp" => V::Null, "labels" => &job_labels }, "spec" => &job_template },
        "ttlSecondsAfterFinished" => 86400,
    };
    let done_at = iso(finished + 2.0);
    let reached = |typ: &str| {
        m! {
            "lastProbeTime" => &done_at,
            "lastTransitionTime" => &done_at,
            "message" => "Reached expected number of succeeded pods",
            "reason" => "CompletionsReached",
            "status" => "True",
            "type" => typ,
        }
    };
    let job_status = m! {
        "completionTime" => &done_at,
        "conditions" => vec![reached("SuccessCriteriaMet"), reached("Complete")],
        "ready" => 0,
        "startTime" => iso(sched + 1.0),
        "succeeded" => 1,
        "terminating" => 0,
        "uncountedTerminatedPods" => M::new(),
    };
    let mut jmeta = m! {
        "annotations" => m! { "batch.kubernetes.io/cronjob-scheduled-timestamp" => iso(sched) },
        "creationTimestamp" => iso(sched),
        "generation" => 1,
        "labels" => &job_labels,
        "name" => &job_name,
        "namespace" => "shop",
        "ownerReferences" => l![m! {
            "apiVersion" => "batch/v1",
            "blockOwnerDeletion" => true,
            "controller" => true,
            "kind" => "CronJob",
            "name" => "nightly-report",
            "uid" => &cj_uid,
        }],
        "uid" => &job_uid,
    };
    jmeta.set(
        "managedFields",
        vec![
            mf(
                "kube-controller-manager",
                sched,
                &m! {
                    "metadata" => jmeta.pick(&["annotations", "labels", "ownerReferences"]),
                    "spec" => job_spec.without(&["selector"]),
                },
                "batch/v1",
                None,
            ),
            mf(
                "kube-controller-manager",
                finished + 2.0,
                &m! { "status" => &job_status },
                "batch/v1",
                Some("status"),
            ),
        ],
    );
    jmeta.set(
        "resourceVersion",
        b.rv(finished + 2.0, p!["job", &job_name]),
    );
    b.add("shop", "jobs", m! { "apiVersion" => "batch/v1", "kind" => "Job", "metadata" => jmeta, "spec" => job_spec, "status" => job_status });
    let job = ("Job", job_name.as_str(), job_uid.as_str());
    add_event(
        b,
        "shop",
        job,
        "SuccessfulCreate",
        &format!("Created pod: {jpod_name}"),
        sched + 1.0,
        &by("job-controller", "batch/v1"),
    );
    add_event(
        b,
        "shop",
        job,
        "Completed",
        "Job completed",
        finished + 2.0,
        &by("job-controller", "batch/v1"),
    );
    let cj_created = t - 86400.0 * 58.0;
    let cj_spec = m! {
        "concurrencyPolicy" => "Forbid",
        "failedJobsHistoryLimit" => 1,
        "jobTemplate" => m! {
            "metadata" => m! { "creationTimestamp" => V::Null },
            "spec" => m! {
                "backoffLimit" => 2,
                "template" => m! { "metadata" => m! { "creationTimestamp" => V::Null }, "spec" => &job_template },
                "ttlSecondsAfterFinished" => 86400,
            },
        },
        "schedule" => "30 4 * * *",
        "successfulJobsHistoryLimit" => 3,
        "suspend" => false,
        "timeZone" => "Etc/UTC",
    };
    let cj_status =
        m! { "lastScheduleTime" => iso(sched), "lastSuccessfulTime" => iso(finished + 2.0) };
    let mut cmeta = m! {
        "annotations" => helm_annotations("reports", "shop"),
        "creationTimestamp" => iso(cj_created),
        "generation" => 1,
        "labels" => helm_labels("nightly-report", "shop"),
        "name" => "nightly-report",
        "namespace" => "shop",
        "uid" => &cj_uid,
    };
    cmeta.set(
        "managedFields",
        vec![
            mf(
                HELM,
                cj_created,
                &m! { "metadata" => cmeta.pick(&["annotations", "labels"]), "spec" => &cj_spec },
                "batch/v1",
                None,
            ),
            mf(
                "kube-controller-manager",
                finished + 3.0,
                &m! { "status" => &cj_status },
                "batch/v1",
                Some("status"),
            ),
        ],
    );
    cmeta.set("resourceVersion", b.rv(finished + 3.0, p!["cj"]));
    b.add("shop", "cronjobs", m! { "apiVersion" => "batch/v1", "kind" => "CronJob", "metadata" => cmeta, "spec" => cj_spec, "status" => cj_status });
    let cj = ("CronJob", "nightly-report", cj_uid.as_str());
    add_event(
        b,
        "shop",
        cj,
        "SuccessfulCreate",
        &format!("Created job {job_name}"),
        sched,
        &by("cronjob-controller", "batch/v1"),
    );
    add_event(
        b,
        "shop",
        cj,
        "SawCompletedJob",
        &format!("Saw completed job: {job_name}, condition: Complete"),
        finished + 3.0,
        &by("cronjob-controller", "batch/v1"),
    );
    secret(b, "shop", "reports-db", &["dsn"], cj_created, None);
}

/// The node-exporter DaemonSet in `monitoring`, on both nodes.
fn node_exporter(b: &mut Bundle, n1: &str, n2: &str) {
    let ro = |name, path| mount(name, path, true);
    let host_path = |path: &str, name: &str| m! { "hostPath" => m! { "path" => path, "type" => "" }, "name" => name };
    let ne = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "node-exporter",
            image: "quay.io/prometheus/node-exporter:v1.8.2",
            args: vec![
                "--path.procfs=/host/proc",
                "--path.sysfs=/host/sys",
                "--path.rootfs=/host/root",
                "--web.listen-address=[$(HOST_IP)]:9100",
            ],
            env: vec![env("HOST_IP", "0.0.0.0")],
            ports: vec![("metrics", 9100)],
            resources: res(Some("10m"), Some("32Mi"), None, Some("64Mi")),
            liveness: Some(http_probe("/", 9100, Timing::default())),
            readiness: Some(http_probe("/", 9100, Timing::default())),
            mounts: vec![
                ro("proc", "/host/proc"),
                ro("sys", "/host/sys"),
                ro("root", "/host/root"),
            ],
            security: Some(
                m! { "allowPrivilegeEscalation" => false, "readOnlyRootFilesystem" => true },
            ),
            ..Ctr::default()
        })],
        sa: Some("node-exporter"),
        security: m! { "fsGroup" => 65534, "runAsGroup" => 65534, "runAsNonRoot" => true, "runAsUser" => 65534 },
        volumes: vec![
            host_path("/proc", "proc"),
            host_path("/sys", "sys"),
            host_path("/", "root"),
        ],
        extra: m! { "hostNetwork" => true, "hostPID" => true, "nodeSelector" => m! { "kubernetes.io/os" => "linux" } },
        ..Tmpl::default()
    });
    let ne_created = b.t - 86400.0 * 45.0;
    let nodes = [
        (n1.to_owned(), ne_created + 20.0),
        (n2.to_owned(), ne_created + 21.0),
    ];
    let ne_pods = daemonset(
        b,
        "monitoring",
        "node-exporter",
        &ne,
        &nodes,
        ne_created,
        "kube-prometheus-stack",
    );
    let ip = b.svc_ip("node-exporter");
    service(
        b,
        "monitoring",
        "node-exporter",
        &Svc {
            ip: Some(ip),
            ports: vec![("metrics", 9100, V::from(9100))],
            selector: m! { "app.kubernetes.io/name" => "node-exporter" },
            created: ne_created,
            labels: Some(helm_labels("node-exporter", "kube-prometheus-stack")),
            backends: ne_pods,
            not_ready: Vec::new(),
        },
    );
}

fn s_fleet(
    region: &str,
    cluster: &str,
    t: f64,
    vpc: &str,
    zones: [&str; 2],
    restarts: i64,
    ago: f64,
) -> Bundle {
    let mut b = new_bundle(
        &format!("fleet-velero/{region}"),
        cluster,
        &format!("arn:aws:eks:{region}:123456789012:cluster/{cluster}"),
        Flavor::Eks,
        t,
        &["velero"],
        region,
    );
    let mut nodes = Vec::new();
    for (i, z) in zones.into_iter().enumerate() {
        let third = 16 * (count(i) + 1) + int(unit(p![cluster, i]) * 15.0);
        let host = 10 + int(unit(p![cluster, "h", i]) * 240.0);
        let ip = format!("{vpc}.{third}.{host}");
        let name = format!("ip-{}.{region}.compute.internal", ip.replace('.', "-"));
        let pod_cidr = format!("{vpc}.{third}.0/24");
        let created = b.birth + 86400.0 * (10 + i) as f64;
        nodes.push(add_node(
            &mut b,
            &NodeSpec {
                name: &name,
                zone: z,
                ip: &ip,
                pod_cidr: &pod_cidr,
                instance: "m6i.large",
                created,
                ..NodeSpec::default()
            },
        ));
    }
    let ns = "velero";
    let labels = m! {
        "app.kubernetes.io/instance" => "velero",
        "app.kubernetes.io/managed-by" => "Helm",
        "app.kubernetes.io/name" => "velero",
        "helm.sh/chart" => "velero-7.2.1",
    };
    let selector =
        m! { "app.kubernetes.io/instance" => "velero", "app.kubernetes.io/name" => "velero" };
    let plugin = container(Ctr {
        name: "velero-plugin-for-aws",
        image: "velero/velero-plugin-for-aws:v1.10.1",
        mounts: vec![mount("plugins", "/target", false)],
        ..Ctr::default()
    });
    let metrics = Timing {
        initial: 10,
        period: 30,
        timeout: 5,
        failure: 3,
    };
    let spec = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "velero",
            image: "velero/velero:v1.14.1",
            command: vec!["/velero"],
            args: vec!["server-junk", "--features=", "--uploader-type=kopia"],
            env: vec![
                env("VELERO_SCRATCH_DIR", "/scratch"),
                env_from("VELERO_NAMESPACE", &Src::Field("metadata.namespace")),
                env("LD_LIBRARY_PATH", "/plugins"),
                env("AWS_SHARED_CREDENTIALS_FILE", "/credentials/cloud"),
            ],
            ports: vec![("http-monitoring", 8085)],
            resources: res(Some("500m"), Some("128Mi"), Some("1"), Some("512Mi")),
            liveness: Some(http_probe("/metrics", "http-monitoring", metrics)),
            readiness: Some(http_probe("/metrics", "http-monitoring", metrics)),
            mounts: vec![
                mount("plugins", "/plugins", false),
                mount("scratch", "/scratch", false),
                mount("cloud-credentials", "/credentials", false),
            ],
            ..Ctr::default()
        })],
        init: vec![plugin],
        sa: Some("velero-server"),
        grace: 3600,
        volumes: vec![
            m! { "emptyDir" => M::new(), "name" => "plugins" },
            m! { "emptyDir" => M::new(), "name" => "scratch" },
            m! { "name" => "cloud-credentials", "secret" => m! { "defaultMode" => 420, "secretName" => "velero" } },
        ],
        ..Tmpl::default()
    });
    let tl = crash_loop(
        t,
        restarts,
        ago,
        &|k| 0.03 + unit(p![cluster, "v", k]) * 0.05,
        &format!("{cluster}velero"),
    );
    let created = first_start(&tl) - 6.0;
    let lp = looping(tl, "Error", 1, |s, _| {
        VELERO_LOG
            .iter()
            .enumerate()
            .map(|(i, x)| (s + 0.021 + i as f64 * 0.0001, (*x).to_owned()))
            .collect()
    });
    let mut plan = PodPlan::new(
        &nodes[0],
        created,
        statuses(vec![("velero", St::Loop(lp.clone()))]),
    );
    plan.init_statuses = statuses(vec![(
        "velero-plugin-for-aws",
        St::Done {
            started: created + 2.0,
            finished: created + 3.0,
        },
    )]);
    let mut d = Deploy::new(&spec, created - 5.0, vec![plan]);
    d.labels = Some(labels.clone());
    d.selector = Some(selector.clone());
    d.pod_labels = Some(selector.with(&m! { "name" => "velero", "component" => "velero" }));
    d.release = Some("velero");
    d.template_annotations = Some(m! {
        "prometheus.io/path" => "/metrics",
        "prometheus.io/port" => "8085",
        "prometheus.io/scrape" => "true",
    });
    let made = deployment(&mut b, ns, "velero", &d);
    let pod = made[0].clone();
    write_logs(&mut b, ns, &pod, "velero", &lp);
    let na = pod_template_spec(Tmpl {
        containers: vec![container(Ctr {
            name: "node-agent",
            image: "velero/velero:v1.14.1",
            command: vec!["/velero"],
            args: vec!["node-agent", "server"],
            env: vec![
                env_from("VELERO_NAMESPACE", &Src::Field("metadata.namespace")),
                env_from("NODE_NAME", &Src::Field("spec.nodeName")),
                env("VELERO_SCRATCH_DIR", "/scratch"),
            ],
            ports: vec![("http-monitoring", 8085)],
            resources: res(Some("500m"), Some("512Mi"), Some("1"), Some("1Gi")),
            mounts: vec![
                mount("host-pods", "/host_pods", false),
                mount("scratch", "/scratch", false),
            ],
            security: Some(m! { "privileged" => false }),
            ..Ctr::default()
        })],
        sa: Some("velero-server"),
        volumes: vec![
            m! { "hostPath" => m! { "path" => "/var/lib/kubelet/pods", "type" => "" }, "name" => "host-pods" },
            m! { "emptyDir" => M::new(), "name" => "scratch" },
        ],
        ..Tmpl::default()
    });
    let agent_nodes: Vec<(String, f64)> =
        nodes.iter().map(|n| (n.clone(), created + 1.0)).collect();
    daemonset(
        &mut b,
        ns,
        "node-agent",
        &na,
        &agent_nodes,
        created - 5.0,
        "velero",
    );
    let ip = b.svc_ip("velero");
    service(
        &mut b,
        ns,
        "velero",
        &Svc {
            ip: Some(ip),
            ports: vec![("http-monitoring", 8085, V::from("http-monitoring"))],
            selector: selector.clone(),
            created: created - 5.0,
            labels: Some(labels.clone()),
            backends: Vec::new(),
            not_ready: vec![pod],
        },
    );
    secret(
        &mut b,
        ns,
        "velero",
        &["cloud"],
        created - 6.0,
        Some(&labels),
    );
    helm_configmap(
        &mut b,
        ns,
        "velero-server-config",
        &["config.yaml"],
        created - 6.0,
    );
    b
}

/// Every sample with its expected top finding: namespace, workload kind, workload, container,
/// container kind, cause (`-` and `none` for the healthy one).
pub(crate) fn build_all() -> Vec<(Bundle, [&'static str; 6])> {
    let app =
        |ns, workload, container, cause| [ns, "Deployment", workload, container, "app", cause];
    vec![
        (
            s_no_foreground_plain(),
            app(
                "shop",
                "config-sync",
                "config-sync",
                "no-foreground-process",
            ),
        ),
        (
            s_no_foreground_probes(),
            app(
                "shop",
                "feature-flags",
                "feature-flags",
                "no-foreground-process",
            ),
        ),
        (
            s_oom_killed(),
            app("shop", "payments", "payments", "oom-killed"),
        ),
        (
            s_liveness_probe_kill(),
            app("shop", "orders", "orders", "liveness-probe-kill"),
        ),
        (
            s_bad_args(),
            app("shop", "inventory", "inventory", "bad-args"),
        ),
        (
            s_exec_format(),
            app("media", "thumbnailer", "worker", "exec-format"),
        ),
        (
            s_dependency_unreachable(),
            app("shop", "storefront", "storefront", "dependency-unreachable"),
        ),
        (
            s_missing_env(),
            app("shop", "checkout", "checkout", "invalid-app-config"),
        ),
        (
            s_init_container_loop(),
            [
                "shop",
                "Deployment",
                "reviews",
                "wait-for-migrations",
                "init",
                "dns-failure",
            ],
        ),
        (s_healthy(), ["-", "-", "-", "-", "-", "none"]),
        (
            s_fleet(
                "eu-west-1",
                "prod-eu-west-1",
                epoch("2026-11-28T05:00:00Z"),
                "10.20",
                ["eu-west-1a", "eu-west-1b"],
                38,
                281.0,
            ),
            app("velero", "velero", "velero", "bad-args"),
        ),
        (
            s_fleet(
                "us-east-1",
                "prod-us-east-1",
                epoch("2026-11-28T05:03:27Z"),
                "10.30",
                ["us-east-1a", "us-east-1b"],
                19,
                144.0,
            ),
            app("velero", "velero", "velero", "bad-args"),
        ),
        (
            s_fleet(
                "ap-south-1",
                "prod-ap-south-1",
                epoch("2026-11-28T04:58:41Z"),
                "10.40",
                ["ap-south-1a", "ap-south-1b"],
                3,
                15.0,
            ),
            app("velero", "velero", "velero", "bad-args"),
        ),
    ]
}

/// A node of an AKS cluster's default pool (`Standard_D4s_v5`), as both AKS samples have them.
fn aks_node<'a>(
    name: &'a str,
    zone: &'a str,
    ip: &'a str,
    pod_cidr: &'a str,
    created: f64,
) -> NodeSpec<'a> {
    NodeSpec {
        name,
        zone,
        ip,
        pod_cidr,
        instance: "Standard_D4s_v5",
        created,
        cpu: 4,
        mem_ki: 16_375_300,
        ..NodeSpec::default()
    }
}
