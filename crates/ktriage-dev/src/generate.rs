//! `cargo dev generate`: large, realistic, deterministic synthetic ktriage bundles for
//! benchmarks and tests.
//!
//! Each bundle is one cluster: namespaces of Deployments (with a current and an old ReplicaSet),
//! their pods as `kubectl get -o yaml` prints them (managedFields, probes, env, volumes, owner
//! references, conditions), ~3 events per pod, nodes, and previous-instance logs for the
//! crash-looping containers, with a realistic mix of causes. The workload catalog and part of
//! the failures depend only on the seed, so the same workload fails the same way in several
//! clusters (a fleet pattern); the rest varies per cluster. Same options, same bytes: tar
//! headers carry a fixed mtime and owner, gzip a zero mtime.

// Templates of kubectl output are long by nature; splitting them would only scatter them.
#![allow(clippy::too_many_lines)]

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Pods per cluster.
    pub pods: usize,
    /// Share of pods that crash-loop, in percent.
    pub crashloop_percent: f64,
    /// Number of clusters (one bundle each).
    pub clusters: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Lines of each previous-instance log (before the failure lines).
    pub log_lines: usize,
}

impl GenOptions {
    /// One cluster of 300 pods, a fifth crash-looping, short logs: the generated YAML the
    /// readers' tests hold to the general parser.
    #[must_use]
    pub fn reader_tests() -> GenOptions {
        GenOptions {
            pods: 300,
            crashloop_percent: 20.0,
            clusters: 1,
            seed: 5,
            log_lines: 5,
        }
    }
}

/// `2026-11-28T05:00:00Z`, when every generated bundle was "collected".
const COLLECTED_AT: i64 = 1_795_842_000;

/// Writes `clusters` bundles `DIR/<cluster>.tar.gz` and returns their paths.
///
/// # Errors
/// Any I/O error creating or writing the files.
pub fn write_bundles(opts: &GenOptions, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut paths = Vec::new();
    for index in 0..opts.clusters {
        let name = cluster_name(index);
        let path = dir.join(format!("{name}.tar.gz"));
        let file = BufWriter::with_capacity(1 << 20, File::create(&path)?);
        let gz = GzEncoder::new(file, Compression::default());
        let mut tar = tar::Builder::new(gz);
        for (rel, bytes) in bundle_files(opts, index) {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(COLLECTED_AT.unsigned_abs());
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut header, format!("{name}/{rel}"), bytes.as_slice())?;
        }
        tar.into_inner()?.finish()?.flush()?;
        paths.push(path);
    }
    Ok(paths)
}

/// The `pods.yaml` files of the first cluster (for tests of the parser).
#[must_use]
pub fn pod_files(opts: &GenOptions) -> Vec<String> {
    bundle_files(opts, 0)
        .into_iter()
        .filter(|(path, _)| path.ends_with("/pods.yaml"))
        .map(|(_, bytes)| String::from_utf8_lossy(&bytes).into_owned())
        .collect()
}

/// Every YAML file of the first cluster as (path in the bundle, text), for parser tests.
#[must_use]
pub fn yaml_files(opts: &GenOptions) -> Vec<(String, String)> {
    bundle_files(opts, 0)
        .into_iter()
        .filter(|(path, _)| path.ends_with(".yaml"))
        .map(|(path, bytes)| (path, String::from_utf8_lossy(&bytes).into_owned()))
        .collect()
}

/// The name of the `index`-th generated cluster.
#[must_use]
pub fn cluster_name(index: usize) -> String {
    const REGIONS: &[&str] = &["eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1"];
    format!("prod-{}-{index:02}", REGIONS[index % REGIONS.len()])
}

/// A small deterministic random generator (splitmix64: small, fast and the same everywhere):
/// the generator's, and the tests'.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    #[allow(clippy::cast_possible_truncation)]
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + i64::try_from(self.below(usize::try_from(hi - lo + 1).unwrap_or(1))).unwrap_or(0)
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// Kubernetes' name-suffix alphabet (`pod-template-hash`, pod suffixes).
    fn suffix(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..len)
            .map(|_| char::from(ALPHABET[self.below(ALPHABET.len())]))
            .collect()
    }
    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(len);
        s
    }
    fn uid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..]
        )
    }
}

/// How a crash-looping workload fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    OomKilled,
    LivenessProbeKill,
    BadArgs,
    DependencyUnreachable,
    InvalidAppConfig,
    NoForegroundProcess,
    UnhandledException,
}

/// (cause, weight): roughly the mix support engineers report.
const CAUSES: &[(Cause, usize)] = &[
    (Cause::OomKilled, 22),
    (Cause::LivenessProbeKill, 16),
    (Cause::DependencyUnreachable, 20),
    (Cause::InvalidAppConfig, 16),
    (Cause::BadArgs, 8),
    (Cause::NoForegroundProcess, 6),
    (Cause::UnhandledException, 12),
];

fn pick_cause(rng: &mut Rng) -> Cause {
    let total: usize = CAUSES.iter().map(|(_, w)| w).sum();
    let mut n = rng.below(total);
    for (cause, weight) in CAUSES {
        if n < *weight {
            return *cause;
        }
        n -= weight;
    }
    Cause::OomKilled
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stack {
    Go,
    Java,
    Python,
    Node,
}

/// A Deployment of the catalog (the same in every cluster of one seed).
#[derive(Debug, Clone)]
struct App {
    namespace: &'static str,
    name: String,
    stack: Stack,
    version: String,
    replicas: usize,
    hash: String,
    old_hash: String,
    uid: String,
    rs_uid: String,
    old_rs_uid: String,
    memory_mi: u32,
    env: Vec<(String, String)>,
    sidecar: bool,
    created: i64,
    /// A failure rolled out everywhere (same in all clusters).
    fleet_failure: Option<Cause>,
}

const NAMESPACES: &[(&str, usize)] = &[
    ("shop", 30),
    ("payments", 14),
    ("checkout", 10),
    ("search", 9),
    ("identity", 7),
    ("media", 7),
    ("analytics", 6),
    ("notifications", 5),
    ("logistics", 4),
    ("ml-serving", 3),
    ("platform", 3),
    ("observability", 2),
];
const NOUNS: &[&str] = &[
    "cart",
    "pricing",
    "orders",
    "billing",
    "ledger",
    "catalog",
    "users",
    "auth",
    "thumbnail",
    "email",
    "sms",
    "recommend",
    "fraud",
    "geo",
    "reports",
    "inventory",
    "shipping",
    "tax",
    "coupons",
    "reviews",
    "wishlist",
    "session",
    "audit",
    "export",
];
const ROLES: &[&str] = &[
    "api",
    "worker",
    "consumer",
    "gateway",
    "sync",
    "indexer",
    "scheduler",
    "web",
];

fn catalog(opts: &GenOptions) -> Vec<App> {
    let mut rng = Rng::new(opts.seed);
    let p = opts.crashloop_percent / 100.0;
    let total_weight: usize = NAMESPACES.iter().map(|(_, w)| w).sum();
    let mut apps = Vec::new();
    let mut remaining = opts.pods;
    let mut serial = 0usize;
    while remaining > 0 {
        // Spread apps over namespaces by weight.
        let mut n = rng.below(total_weight);
        let namespace = NAMESPACES
            .iter()
            .find(|(_, w)| {
                if n < *w {
                    true
                } else {
                    n -= w;
                    false
                }
            })
            .map_or("shop", |(ns, _)| ns);
        let replicas = (1 + rng.below(7)).min(remaining);
        remaining -= replicas;
        let base = format!("{}-{}", rng.pick(NOUNS), rng.pick(ROLES));
        let name = if serial < NOUNS.len() * ROLES.len() {
            base
        } else {
            format!("{base}-{}", serial / (NOUNS.len() * ROLES.len()))
        };
        serial += 1;
        let stack = *rng.pick(&[Stack::Go, Stack::Java, Stack::Python, Stack::Node]);
        let env_count = 14 + rng.below(26);
        let mut env: Vec<(String, String)> = Vec::new();
        for i in 0..env_count {
            let var = env_var(&mut rng, namespace, i);
            if !env.iter().any(|(k, _)| *k == var.0) {
                env.push(var);
            }
        }
        apps.push(App {
            namespace,
            version: format!("{}.{}.{}", 1 + rng.below(4), rng.below(30), rng.below(12)),
            replicas,
            hash: rng.suffix(10),
            old_hash: rng.suffix(10),
            uid: rng.uid(),
            rs_uid: rng.uid(),
            old_rs_uid: rng.uid(),
            memory_mi: *rng.pick(&[128, 256, 384, 512, 768, 1024, 2048]),
            env,
            sidecar: rng.chance(0.3),
            created: COLLECTED_AT - rng.range(3 * 86_400, 200 * 86_400),
            fleet_failure: rng.chance(p * 0.5).then(|| pick_cause(&mut rng)),
            name,
            stack,
        });
    }
    // Names must be unique within a namespace.
    let mut seen = std::collections::BTreeSet::new();
    for (i, app) in apps.iter_mut().enumerate() {
        if !seen.insert((app.namespace, app.name.clone())) {
            app.name = format!("{}-{i}", app.name);
            seen.insert((app.namespace, app.name.clone()));
        }
    }
    apps
}

fn env_var(rng: &mut Rng, namespace: &str, i: usize) -> (String, String) {
    const FIXED: &[(&str, &str)] = &[
        ("LOG_LEVEL", "info"),
        ("LOG_FORMAT", "json"),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://otel-collector.monitoring.svc:4317",
        ),
        ("OTEL_SERVICE_NAME", ""),
        ("HTTP_PORT", "8080"),
        ("METRICS_PORT", "9102"),
        ("GOMAXPROCS", "2"),
        ("TZ", "UTC"),
    ];
    if let Some((k, v)) = FIXED.get(i) {
        return ((*k).to_owned(), (*v).to_owned());
    }
    let dep = rng.pick(&[
        "POSTGRES",
        "REDIS",
        "KAFKA",
        "ORDERS_API",
        "PRICING_API",
        "USERS_API",
        "RABBITMQ",
        "ELASTICSEARCH",
        "MEMCACHED",
        "S3",
    ]);
    let key = format!(
        "{dep}_{}",
        rng.pick(&["URL", "HOST", "TIMEOUT", "POOL_SIZE", "TOPIC", "RETRIES"])
    );
    let value = match key.rsplit('_').next() {
        Some("URL") => format!(
            "http://{}.{namespace}.svc.cluster.local:8080",
            dep.to_lowercase().replace('_', "-")
        ),
        Some("HOST") => format!("{}.{namespace}.svc", dep.to_lowercase().replace('_', "-")),
        Some("TIMEOUT") => format!("{}s", 1 + rng.below(30)),
        Some("SIZE") => format!("{}", 4 + rng.below(60)),
        Some("RETRIES") => format!("{}", rng.below(10)),
        _ => format!("{namespace}.{}.v1", rng.pick(NOUNS)),
    };
    (key, value)
}

/// One pod to write.
struct PodPlan<'a> {
    app: &'a App,
    name: String,
    uid: String,
    node: usize,
    ip: String,
    started: i64,
    failure: Option<Cause>,
    restarts: i64,
}

/// All files of the `index`-th cluster's bundle, in a fixed order.
fn bundle_files(opts: &GenOptions, index: usize) -> Vec<(String, Vec<u8>)> {
    let apps = catalog(opts);
    let mut rng = Rng::new(opts.seed.wrapping_mul(31).wrapping_add(index as u64 + 1));
    let p = opts.crashloop_percent / 100.0;
    let nodes = (opts.pods / 45).max(3);
    let node_names: Vec<String> = (0..nodes)
        .map(|i| {
            format!(
                "ip-10-0-{}-{}.{}.compute.internal",
                i / 200,
                10 + i % 200,
                cluster_region(index)
            )
        })
        .collect();
    let mut files = Vec::new();
    let name = cluster_name(index);
    let mut namespaces: Vec<&str> = NAMESPACES.iter().map(|(n, _)| *n).collect();
    namespaces.sort_unstable();
    let manifest = format!(
        r#"{{"format": "ktriage-bundle", "format_version": 1, "cluster": "{name}", "context": "{name}-admin",
 "collected_at": "{}", "collector": {{"name": "ktriage-collect", "version": "0.1.0"}},
 "server_version": "v1.31.2", "namespaces": [{}],
 "options": {{"tail_lines": 1000, "since": null, "redact": true, "configmap_values": false}}, "errors": []}}
"#,
        rfc3339(COLLECTED_AT),
        namespaces
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    files.push(("manifest.json".to_owned(), manifest.into_bytes()));
    files.push((
        "cluster/version.yaml".to_owned(),
        b"clientVersion:\n  gitVersion: v1.31.2\n  major: \"1\"\n  minor: \"31\"\n  platform: linux/amd64\nkustomizeVersion: v5.4.2\nserverVersion:\n  gitVersion: v1.31.2\n  major: \"1\"\n  minor: \"31\"\n  platform: linux/amd64\n".to_vec(),
    ));
    files.push((
        "cluster/nodes.yaml".to_owned(),
        list(node_names.iter().map(|n| node_yaml(&mut rng, n))),
    ));
    files.push((
        "cluster/namespaces.yaml".to_owned(),
        list(namespaces.iter().map(|n| namespace_yaml(&mut rng, n))),
    ));

    // Plan pods per app.
    let mut plans: Vec<PodPlan<'_>> = Vec::new();
    for app in &apps {
        let failure = app
            .fleet_failure
            .or_else(|| rng.chance(p * 0.5).then(|| pick_cause(&mut rng)));
        for _ in 0..app.replicas {
            plans.push(PodPlan {
                app,
                name: format!("{}-{}-{}", app.name, app.hash, rng.suffix(5)),
                uid: rng.uid(),
                node: rng.below(nodes),
                ip: format!("10.244.{}.{}", rng.below(250), 2 + rng.below(250)),
                started: COLLECTED_AT - rng.range(40 * 60, 30 * 86_400),
                failure,
                restarts: if failure.is_some() {
                    rng.range(4, 180)
                } else {
                    0
                },
            });
        }
    }

    for ns in &namespaces {
        let ns_apps: Vec<&App> = apps.iter().filter(|a| a.namespace == *ns).collect();
        let ns_pods: Vec<&PodPlan<'_>> = plans.iter().filter(|p| p.app.namespace == *ns).collect();
        let dir = format!("namespaces/{ns}");
        files.push((
            format!("{dir}/pods.yaml"),
            list(
                ns_pods
                    .iter()
                    .map(|p| pod_yaml(&mut rng, p, &node_names[p.node])),
            ),
        ));
        let mut events = Vec::new();
        for p in &ns_pods {
            pod_events(&mut rng, p, &node_names[p.node], &mut events);
        }
        files.push((format!("{dir}/events.yaml"), list(events.into_iter())));
        files.push((
            format!("{dir}/deployments.yaml"),
            list(ns_apps.iter().map(|a| deployment_yaml(a))),
        ));
        files.push((
            format!("{dir}/replicasets.yaml"),
            list(
                ns_apps
                    .iter()
                    .flat_map(|a| [replicaset_yaml(a, false), replicaset_yaml(a, true)]),
            ),
        ));
        files.push((
            format!("{dir}/services.yaml"),
            list(ns_apps.iter().map(|a| service_yaml(&mut rng, a))),
        ));
        files.push((
            format!("{dir}/configmaps.yaml"),
            list(ns_apps.iter().map(|a| configmap_yaml(&mut rng, a))),
        ));
        for p in &ns_pods {
            if let Some(cause) = p.failure {
                let log = previous_log(&mut rng, p, cause, opts.log_lines);
                files.push((
                    format!("logs/{ns}/{}/{}.previous.log", p.name, p.app.name),
                    log.into_bytes(),
                ));
            }
        }
    }
    files
}

fn cluster_region(index: usize) -> &'static str {
    ["eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1"][index % 4]
}

/// A `kind: List` as kubectl prints it around already rendered items.
fn list(items: impl Iterator<Item = String>) -> Vec<u8> {
    let mut out = String::from("apiVersion: v1\nitems:\n");
    let mut any = false;
    for item in items {
        any = true;
        out.push_str(&item);
    }
    if !any {
        out = String::from("apiVersion: v1\nitems: []\n");
    }
    out.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    out.into_bytes()
}

/// Indents every line of `text` by `by` spaces; the first line gets `first` instead.
fn indent(text: &str, first: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for (i, line) in text.lines().enumerate() {
        out.push_str(if i == 0 { first } else { &pad });
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Seconds since the epoch -> `2026-11-28T05:00:00Z`.
fn rfc3339(secs: i64) -> String {
    ktriage::model::Time::from_unix(secs).to_string()
}

fn image(app: &App) -> String {
    format!(
        "registry.example.com/{}/{}:{}",
        app.namespace, app.name, app.version
    )
}

fn command_args(app: &App, failure: Option<Cause>) -> String {
    let mut s = String::new();
    match (failure, app.stack) {
        (Some(Cause::NoForegroundProcess), _) => {
            s.push_str("command:\n- /bin/sh\n- -c\n- ./bin/migrate --apply && echo \"migrations applied\"\n");
        }
        (Some(Cause::BadArgs), _) => {
            s.push_str("args:\n- --port=8080\n- -enable-tracing\n- --log-level=info\n");
        }
        (_, Stack::Java) => s.push_str(
            "args:\n- -XX:MaxRAMPercentage=75.0\n- -jar\n- /app/service.jar\n- --spring.profiles.active=prod\n",
        ),
        (_, Stack::Go) => s.push_str("args:\n- --port=8080\n- --metrics-port=9102\n"),
        (_, Stack::Python) => s.push_str("args:\n- gunicorn\n- --bind=0.0.0.0:8080\n- --workers=4\n- app.wsgi:application\n"),
        (_, Stack::Node) => s.push_str("args:\n- node\n- dist/server.js\n"),
    }
    s
}

/// A container spec at column 0 (a sequence item).
fn container_yaml(app: &App, failure: Option<Cause>) -> String {
    let mut c = String::with_capacity(4096);
    c.push_str(&command_args(app, failure));
    c.push_str("env:\n");
    for (k, v) in &app.env {
        let v = if v.is_empty() { app.name.as_str() } else { v };
        let _ = writeln!(c, "- name: {k}\n  value: {}", yaml_scalar(v));
    }
    if failure != Some(Cause::InvalidAppConfig) {
        c.push_str("- name: DATABASE_URL\n  valueFrom:\n    secretKeyRef:\n      key: database-url\n      name: ");
        let _ = writeln!(c, "{}-db", app.name);
    }
    c.push_str("- name: POD_NAME\n  valueFrom:\n    fieldRef:\n      apiVersion: v1\n      fieldPath: metadata.name\n");
    c.push_str("- name: POD_NAMESPACE\n  valueFrom:\n    fieldRef:\n      apiVersion: v1\n      fieldPath: metadata.namespace\n");
    let _ = writeln!(c, "image: {}", image(app));
    c.push_str("imagePullPolicy: IfNotPresent\n");
    let (liveness_timeout, liveness_threshold) = if failure == Some(Cause::LivenessProbeKill) {
        (1, 3)
    } else {
        (3, 3)
    };
    let _ = write!(
        c,
        "livenessProbe:\n  failureThreshold: {liveness_threshold}\n  httpGet:\n    path: /healthz\n    port: http\n    scheme: HTTP\n  initialDelaySeconds: 15\n  periodSeconds: 10\n  successThreshold: 1\n  timeoutSeconds: {liveness_timeout}\n"
    );
    let _ = writeln!(c, "name: {}", app.name);
    c.push_str("ports:\n- containerPort: 8080\n  name: http\n  protocol: TCP\n- containerPort: 9102\n  name: metrics\n  protocol: TCP\n");
    c.push_str("readinessProbe:\n  failureThreshold: 3\n  httpGet:\n    path: /readyz\n    port: http\n    scheme: HTTP\n  periodSeconds: 5\n  successThreshold: 1\n  timeoutSeconds: 1\n");
    let _ = write!(
        c,
        "resources:\n  limits:\n    cpu: \"1\"\n    memory: {}Mi\n  requests:\n    cpu: 100m\n    memory: {}Mi\n",
        app.memory_mi,
        app.memory_mi / 2
    );
    c.push_str("securityContext:\n  allowPrivilegeEscalation: false\n  capabilities:\n    drop:\n    - ALL\n  readOnlyRootFilesystem: true\n  runAsNonRoot: true\n  runAsUser: 10001\n");
    c.push_str("terminationMessagePath: /dev/termination-log\nterminationMessagePolicy: File\n");
    c.push_str("volumeMounts:\n- mountPath: /etc/app\n  name: config\n  readOnly: true\n- mountPath: /tmp\n  name: tmp\n");
    c
}

const SIDECAR: &str = "args:\n- --config=/etc/fluent-bit/fluent-bit.conf\nimage: cr.fluentbit.io/fluent/fluent-bit:3.1.9\nimagePullPolicy: IfNotPresent\nname: log-shipper\nresources:\n  limits:\n    memory: 128Mi\n  requests:\n    cpu: 20m\n    memory: 64Mi\nterminationMessagePath: /dev/termination-log\nterminationMessagePolicy: File\nvolumeMounts:\n- mountPath: /etc/fluent-bit\n  name: fluent-bit-config\n  readOnly: true\n";

/// A pod spec's body (containers .. volumes) at column 0, without node-specific fields.
fn template_spec(app: &App, failure: Option<Cause>) -> String {
    let mut s = String::from("containers:\n");
    s.push_str(&indent(&container_yaml(app, failure), "- ", 2));
    if app.sidecar {
        s.push_str(&indent(SIDECAR, "- ", 2));
    }
    s.push_str("dnsPolicy: ClusterFirst\nrestartPolicy: Always\nschedulerName: default-scheduler\nsecurityContext:\n  fsGroup: 10001\n");
    let _ = writeln!(s, "serviceAccount: {0}\nserviceAccountName: {0}", app.name);
    s.push_str("terminationGracePeriodSeconds: 30\nvolumes:\n- configMap:\n    defaultMode: 420\n");
    let _ = writeln!(s, "    name: {}-config\n  name: config", app.name);
    if app.sidecar {
        s.push_str("- configMap:\n    defaultMode: 420\n    name: fluent-bit-config\n  name: fluent-bit-config\n");
    }
    s.push_str("- emptyDir: {}\n  name: tmp\n");
    s
}

/// The managedFields of one container spec (`k:{"name":…}` and everything under it), at column 0.
fn container_fields(app: &App) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "k:{{\"name\":\"{}\"}}:", app.name);
    c.push_str("  .: {}\n  f:args: {}\n  f:env:\n    .: {}\n");
    for (k, _) in &app.env {
        let _ = writeln!(
            c,
            "    k:{{\"name\":\"{k}\"}}:\n      .: {{}}\n      f:name: {{}}\n      f:value: {{}}"
        );
    }
    c.push_str("  f:image: {}\n  f:imagePullPolicy: {}\n  f:livenessProbe:\n    .: {}\n    f:failureThreshold: {}\n    f:httpGet:\n      .: {}\n      f:path: {}\n      f:port: {}\n      f:scheme: {}\n    f:initialDelaySeconds: {}\n    f:periodSeconds: {}\n    f:successThreshold: {}\n    f:timeoutSeconds: {}\n  f:name: {}\n  f:ports:\n    .: {}\n    k:{\"containerPort\":8080,\"protocol\":\"TCP\"}:\n      .: {}\n      f:containerPort: {}\n      f:name: {}\n      f:protocol: {}\n    k:{\"containerPort\":9102,\"protocol\":\"TCP\"}:\n      .: {}\n      f:containerPort: {}\n      f:name: {}\n      f:protocol: {}\n  f:readinessProbe:\n    .: {}\n    f:failureThreshold: {}\n    f:httpGet:\n      .: {}\n      f:path: {}\n      f:port: {}\n      f:scheme: {}\n    f:periodSeconds: {}\n    f:successThreshold: {}\n    f:timeoutSeconds: {}\n  f:resources:\n    .: {}\n    f:limits:\n      .: {}\n      f:cpu: {}\n      f:memory: {}\n    f:requests:\n      .: {}\n      f:cpu: {}\n      f:memory: {}\n  f:securityContext:\n    .: {}\n    f:allowPrivilegeEscalation: {}\n    f:capabilities:\n      .: {}\n      f:drop: {}\n    f:readOnlyRootFilesystem: {}\n    f:runAsNonRoot: {}\n    f:runAsUser: {}\n  f:terminationMessagePath: {}\n  f:terminationMessagePolicy: {}\n  f:volumeMounts:\n    .: {}\n    k:{\"mountPath\":\"/etc/app\"}:\n      .: {}\n      f:mountPath: {}\n      f:name: {}\n      f:readOnly: {}\n    k:{\"mountPath\":\"/tmp\"}:\n      .: {}\n      f:mountPath: {}\n      f:name: {}\n");
    c
}

/// managedFields entries of a pod (the biggest part of kubectl's output).
fn pod_managed_fields(app: &App, owner_uid: &str, created: i64, status_at: i64) -> String {
    let c = container_fields(app);
    let mut m = String::new();
    m.push_str("- apiVersion: v1\n  fieldsType: FieldsV1\n  fieldsV1:\n    f:metadata:\n      f:annotations:\n        .: {}\n        f:prometheus.io/port: {}\n        f:prometheus.io/scrape: {}\n      f:generateName: {}\n      f:labels:\n        .: {}\n        f:app.kubernetes.io/name: {}\n        f:app.kubernetes.io/part-of: {}\n        f:app.kubernetes.io/version: {}\n        f:pod-template-hash: {}\n      f:ownerReferences:\n        .: {}\n");
    let _ = writeln!(m, "        k:{{\"uid\":\"{owner_uid}\"}}: {{}}");
    m.push_str("    f:spec:\n      f:containers:\n");
    m.push_str(&indent(&c, "        ", 8));
    m.push_str("      f:dnsPolicy: {}\n      f:enableServiceLinks: {}\n      f:restartPolicy: {}\n      f:schedulerName: {}\n      f:securityContext:\n        .: {}\n        f:fsGroup: {}\n      f:serviceAccount: {}\n      f:serviceAccountName: {}\n      f:terminationGracePeriodSeconds: {}\n      f:volumes:\n        .: {}\n        k:{\"name\":\"config\"}:\n          .: {}\n          f:configMap:\n            .: {}\n            f:defaultMode: {}\n            f:name: {}\n          f:name: {}\n        k:{\"name\":\"tmp\"}:\n          .: {}\n          f:emptyDir: {}\n          f:name: {}\n");
    let _ = writeln!(
        m,
        "  manager: kube-controller-manager\n  operation: Update\n  time: \"{}\"",
        rfc3339(created)
    );
    m.push_str("- apiVersion: v1\n  fieldsType: FieldsV1\n  fieldsV1:\n    f:status:\n      f:conditions:\n        k:{\"type\":\"ContainersReady\"}:\n          .: {}\n          f:lastProbeTime: {}\n          f:lastTransitionTime: {}\n          f:status: {}\n          f:type: {}\n        k:{\"type\":\"Initialized\"}:\n          .: {}\n          f:lastProbeTime: {}\n          f:lastTransitionTime: {}\n          f:status: {}\n          f:type: {}\n        k:{\"type\":\"PodReadyToStartContainers\"}:\n          .: {}\n          f:lastProbeTime: {}\n          f:lastTransitionTime: {}\n          f:status: {}\n          f:type: {}\n        k:{\"type\":\"Ready\"}:\n          .: {}\n          f:lastProbeTime: {}\n          f:lastTransitionTime: {}\n          f:status: {}\n          f:type: {}\n      f:containerStatuses: {}\n      f:hostIP: {}\n      f:hostIPs: {}\n      f:phase: {}\n      f:podIP: {}\n      f:podIPs:\n        .: {}\n        k:{\"ip\":\"10.244.0.0\"}:\n          .: {}\n          f:ip: {}\n      f:startTime: {}\n");
    let _ = writeln!(
        m,
        "  manager: kubelet\n  operation: Update\n  subresource: status\n  time: \"{}\"",
        rfc3339(status_at)
    );
    m
}

fn termination(p: &PodPlan<'_>, cause: Cause) -> (i64, &'static str, i64) {
    // (exit code, reason, seconds the instance ran)
    match cause {
        Cause::OomKilled => (137, "OOMKilled", 95),
        Cause::LivenessProbeKill => (137, "Error", 48),
        Cause::BadArgs => (2, "Error", 0),
        Cause::DependencyUnreachable | Cause::InvalidAppConfig => (1, "Error", 2),
        Cause::NoForegroundProcess => (0, "Completed", 3),
        Cause::UnhandledException => (if p.app.stack == Stack::Go { 2 } else { 1 }, "Error", 7),
    }
}

/// When the last instance of a crash-looping container ended (a few minutes before collection).
fn finished_at(p: &PodPlan<'_>) -> i64 {
    COLLECTED_AT - 60 - i64::try_from(p.uid.len() * 7 % 200).unwrap_or(0)
}

fn pod_yaml(rng: &mut Rng, p: &PodPlan<'_>, node: &str) -> String {
    let app = p.app;
    let mut y = String::with_capacity(16 << 10);
    let _ = write!(
        y,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    prometheus.io/port: \"9102\"\n    prometheus.io/scrape: \"true\"\n  creationTimestamp: \"{}\"\n  generateName: {}-{}-\n  labels:\n    app.kubernetes.io/name: {}\n    app.kubernetes.io/part-of: {}\n    app.kubernetes.io/version: {}\n    pod-template-hash: {}\n  managedFields:\n",
        rfc3339(p.started),
        app.name,
        app.hash,
        app.name,
        app.namespace,
        yaml_scalar(&app.version),
        app.hash
    );
    y.push_str(&indent(
        &pod_managed_fields(app, &app.rs_uid, p.started, COLLECTED_AT - 120),
        "  ",
        2,
    ));
    let _ = write!(
        y,
        "  name: {}\n  namespace: {}\n  ownerReferences:\n  - apiVersion: apps/v1\n    blockOwnerDeletion: true\n    controller: true\n    kind: ReplicaSet\n    name: {}-{}\n    uid: {}\n  resourceVersion: \"{}\"\n  uid: {}\nspec:\n",
        p.name,
        app.namespace,
        app.name,
        app.hash,
        app.rs_uid,
        100_000 + rng.below(90_000_000),
        p.uid
    );
    let mut spec = template_spec(app, p.failure);
    let token = rng.suffix(5);
    let _ = write!(
        spec,
        "- name: kube-api-access-{token}\n  projected:\n    defaultMode: 420\n    sources:\n    - serviceAccountToken:\n        expirationSeconds: 3607\n        path: token\n    - configMap:\n        items:\n        - key: ca.crt\n          path: ca.crt\n        name: kube-root-ca.crt\n    - downwardAPI:\n        items:\n        - fieldRef:\n            apiVersion: v1\n            fieldPath: metadata.namespace\n          path: namespace\nenableServiceLinks: true\nnodeName: {node}\npreemptionPolicy: PreemptLowerPriority\npriority: 0\ntolerations:\n- effect: NoExecute\n  key: node.kubernetes.io/not-ready\n  operator: Exists\n  tolerationSeconds: 300\n- effect: NoExecute\n  key: node.kubernetes.io/unreachable\n  operator: Exists\n  tolerationSeconds: 300\n"
    );
    y.push_str(&indent(&spec, "  ", 2));
    let ready = p.failure.is_none();
    let ready_s = if ready { "\"True\"" } else { "\"False\"" };
    let started = rfc3339(p.started);
    let _ = write!(
        y,
        "status:\n  conditions:\n  - lastProbeTime: null\n    lastTransitionTime: \"{started}\"\n    status: \"True\"\n    type: PodReadyToStartContainers\n  - lastProbeTime: null\n    lastTransitionTime: \"{started}\"\n    status: \"True\"\n    type: Initialized\n  - lastProbeTime: null\n    lastTransitionTime: \"{started}\"\n"
    );
    if !ready {
        let _ = write!(
            y,
            "    message: 'containers with unready status: [{}]'\n    reason: ContainersNotReady\n",
            app.name
        );
    }
    let _ = write!(
        y,
        "    status: {ready_s}\n    type: Ready\n  - lastProbeTime: null\n    lastTransitionTime: \"{started}\"\n"
    );
    if !ready {
        let _ = write!(
            y,
            "    message: 'containers with unready status: [{}]'\n    reason: ContainersNotReady\n",
            app.name
        );
    }
    let _ = write!(
        y,
        "    status: {ready_s}\n    type: ContainersReady\n  - lastProbeTime: null\n    lastTransitionTime: \"{started}\"\n    status: \"True\"\n    type: PodScheduled\n  containerStatuses:\n"
    );
    let host_ip = format!("10.0.{}.{}", p.node / 200, 10 + p.node % 200);
    let mut st = format!(
        "containerID: containerd://{}\nimage: {}\nimageID: {}@sha256:{}\n",
        rng.hex(64),
        image(app),
        image(app).rsplit_once(':').map_or("", |(r, _)| r),
        rng.hex(64)
    );
    match p.failure {
        None => {
            st.push_str("lastState: {}\n");
            let _ = write!(
                st,
                "name: {}\nready: true\nrestartCount: 0\nstarted: true\nstate:\n  running:\n    startedAt: \"{}\"\n",
                app.name,
                rfc3339(p.started + 3)
            );
        }
        Some(cause) => {
            let (code, reason, ran) = termination(p, cause);
            let end = finished_at(p);
            let _ = write!(
                st,
                "lastState:\n  terminated:\n    containerID: containerd://{}\n    exitCode: {code}\n    finishedAt: \"{}\"\n    reason: {reason}\n    startedAt: \"{}\"\n",
                rng.hex(64),
                rfc3339(end),
                rfc3339(end - ran)
            );
            let backoff = if p.restarts > 5 { "5m0s" } else { "2m40s" };
            let _ = write!(
                st,
                "name: {0}\nready: false\nrestartCount: {1}\nstarted: false\nstate:\n  waiting:\n    message: back-off {backoff} restarting failed container={0} pod={2}_{3}({4})\n    reason: CrashLoopBackOff\n",
                app.name, p.restarts, p.name, app.namespace, p.uid
            );
        }
    }
    y.push_str(&indent(&st, "  - ", 4));
    if app.sidecar {
        let side = format!(
            "containerID: containerd://{}\nimage: cr.fluentbit.io/fluent/fluent-bit:3.1.9\nimageID: cr.fluentbit.io/fluent/fluent-bit@sha256:{}\nlastState: {{}}\nname: log-shipper\nready: true\nrestartCount: 0\nstarted: true\nstate:\n  running:\n    startedAt: \"{}\"\n",
            rng.hex(64),
            rng.hex(64),
            rfc3339(p.started + 2)
        );
        y.push_str(&indent(&side, "  - ", 4));
    }
    let _ = write!(
        y,
        "  hostIP: {host_ip}\n  hostIPs:\n  - ip: {host_ip}\n  phase: Running\n  podIP: {0}\n  podIPs:\n  - ip: {0}\n  qosClass: Burstable\n  startTime: \"{started}\"\n",
        p.ip
    );
    indent(&y, "- ", 2)
}

#[allow(clippy::too_many_arguments)]
fn event_yaml(
    rng: &mut Rng,
    p: &PodPlan<'_>,
    reason: &str,
    message: &str,
    kind: &str,
    count: i64,
    first: i64,
    last: i64,
    source: (&str, Option<&str>),
    field_path: bool,
) -> String {
    let mut y = String::with_capacity(1024);
    let _ = writeln!(
        y,
        "apiVersion: v1\ncount: {count}\neventTime: null\nfirstTimestamp: \"{}\"\ninvolvedObject:\n  apiVersion: v1",
        rfc3339(first)
    );
    if field_path {
        let _ = writeln!(y, "  fieldPath: spec.containers{{{}}}", p.app.name);
    }
    let _ = write!(
        y,
        "  kind: Pod\n  name: {}\n  namespace: {}\n  resourceVersion: \"{}\"\n  uid: {}\nkind: Event\nlastTimestamp: \"{}\"\nmessage: {}\nmetadata:\n  creationTimestamp: \"{}\"\n  name: {}.{}\n  namespace: {}\n  resourceVersion: \"{}\"\n  uid: {}\nreason: {reason}\nreportingComponent: {}\nreportingInstance: \"{}\"\nsource:\n  component: {}\n",
        p.name,
        p.app.namespace,
        100_000 + rng.below(90_000_000),
        p.uid,
        rfc3339(last),
        yaml_scalar(message),
        rfc3339(first),
        p.name,
        rng.hex(16),
        p.app.namespace,
        100_000 + rng.below(90_000_000),
        rng.uid(),
        source.0,
        source.1.unwrap_or(""),
        source.0,
    );
    if let Some(host) = source.1 {
        let _ = writeln!(y, "  host: {host}");
    }
    let _ = writeln!(y, "type: {kind}");
    indent(&y, "- ", 2)
}

fn pod_events(rng: &mut Rng, p: &PodPlan<'_>, node: &str, out: &mut Vec<String>) {
    let app = p.app;
    let kubelet = ("kubelet", Some(node));
    let sched = ("default-scheduler", None);
    // Events live one hour: healthy old pods keep none, except for pods started recently.
    let recent = COLLECTED_AT - p.started < 3600;
    if p.failure.is_none() {
        let at = if recent {
            p.started
        } else {
            COLLECTED_AT - rng.range(60, 3000)
        };
        if recent {
            out.push(event_yaml(
                rng,
                p,
                "Scheduled",
                &format!(
                    "Successfully assigned {}/{} to {node}",
                    app.namespace, p.name
                ),
                "Normal",
                1,
                at,
                at,
                sched,
                false,
            ));
            out.push(event_yaml(
                rng,
                p,
                "Pulled",
                &format!(
                    "Container image \"{}\" already present on machine",
                    image(app)
                ),
                "Normal",
                1,
                at + 1,
                at + 1,
                kubelet,
                true,
            ));
            out.push(event_yaml(
                rng,
                p,
                "Started",
                &format!("Started container {}", app.name),
                "Normal",
                1,
                at + 2,
                at + 2,
                kubelet,
                true,
            ));
        } else {
            // Readiness blips are the everyday noise of a busy cluster.
            let n = rng.range(1, 4);
            out.push(event_yaml(rng, p, "Unhealthy", "Readiness probe failed: Get \"http://10.244.3.17:8080/readyz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)".replace("10.244.3.17", &p.ip).as_str(), "Warning", n, at - 600, at, kubelet, true));
            out.push(event_yaml(
                rng,
                p,
                "Pulled",
                &format!(
                    "Container image \"{}\" already present on machine",
                    image(app)
                ),
                "Normal",
                1,
                at,
                at,
                kubelet,
                true,
            ));
            out.push(event_yaml(
                rng,
                p,
                "Created",
                &format!("Created container {}", app.name),
                "Normal",
                1,
                at,
                at,
                kubelet,
                true,
            ));
        }
        return;
    }
    let Some(cause) = p.failure else { return };
    let first = COLLECTED_AT - 3500;
    let last = finished_at(p);
    let restarts = p.restarts;
    out.push(event_yaml(
        rng,
        p,
        "Pulled",
        &format!(
            "Container image \"{}\" already present on machine",
            image(app)
        ),
        "Normal",
        restarts.min(20),
        first,
        last,
        kubelet,
        true,
    ));
    out.push(event_yaml(
        rng,
        p,
        "Created",
        &format!("Created container {}", app.name),
        "Normal",
        restarts.min(20),
        first,
        last,
        kubelet,
        true,
    ));
    out.push(event_yaml(
        rng,
        p,
        "BackOff",
        &format!(
            "Back-off restarting failed container {} in pod {}_{}({})",
            app.name, p.name, app.namespace, p.uid
        ),
        "Warning",
        restarts * 4,
        first,
        COLLECTED_AT - 5,
        kubelet,
        true,
    ));
    if cause == Cause::LivenessProbeKill {
        let msg = format!(
            "Liveness probe failed: Get \"http://{}:8080/healthz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            p.ip
        );
        out.push(event_yaml(
            rng,
            p,
            "Unhealthy",
            &msg,
            "Warning",
            restarts * 3,
            first,
            last - 2,
            kubelet,
            true,
        ));
        out.push(event_yaml(
            rng,
            p,
            "Killing",
            &format!(
                "Container {} failed liveness probe, will be restarted",
                app.name
            ),
            "Normal",
            restarts.min(20),
            first,
            last - 1,
            kubelet,
            true,
        ));
    }
}

const PATHS: &[&str] = &[
    "/api/v1/items",
    "/api/v1/orders",
    "/api/v2/prices",
    "/healthz",
    "/readyz",
    "/api/v1/users/me",
];

/// The previous instance's log of a crash-looping container, with `kubectl logs --timestamps`.
fn previous_log(rng: &mut Rng, p: &PodPlan<'_>, cause: Cause, lines: usize) -> String {
    let end = finished_at(p);
    let (_, _, ran) = termination(p, cause);
    let start = end - ran;
    let mut out = String::with_capacity(lines * 200);
    let app = p.app;
    let body_lines = match cause {
        Cause::BadArgs | Cause::InvalidAppConfig | Cause::NoForegroundProcess => lines / 20,
        Cause::DependencyUnreachable => lines / 2,
        _ => lines,
    };
    let mut t = start as f64;
    let step = (ran.max(1) as f64) / (body_lines.max(1) as f64 + 10.0);
    let stamp = |rng: &mut Rng, t: &mut f64| {
        *t += step;
        #[allow(clippy::cast_possible_truncation)]
        let secs = t.floor() as i64;
        let nanos = rng.below(1_000_000_000);
        let s = rfc3339(secs);
        format!("{}.{nanos:09}Z ", &s[..s.len() - 1])
    };
    let info = |stack: Stack, msg: &str| -> String {
        match stack {
            Stack::Go => format!(
                "{{\"level\":\"info\",\"ts\":\"\",\"caller\":\"server/server.go:118\",\"msg\":\"{msg}\"}}"
            ),
            Stack::Java => format!(
                "INFO  [main] c.e.{}.Application - {msg}",
                app.name.replace('-', ".")
            ),
            Stack::Python => format!("[INFO] {}: {msg}", app.name.replace('-', "_")),
            Stack::Node => format!(
                "{{\"level\":30,\"time\":1795841800000,\"pid\":1,\"hostname\":\"{}\",\"msg\":\"{msg}\"}}",
                p.name
            ),
        }
    };
    let push = |out: &mut String, rng: &mut Rng, t: &mut f64, line: &str| {
        out.push_str(&stamp(rng, t));
        out.push_str(line);
        out.push('\n');
    };
    for msg in [
        format!("starting {} version {}", app.name, app.version),
        format!(
            "loaded configuration from /etc/app (profile=prod, namespace={})",
            app.namespace
        ),
        "connecting to telemetry exporter at otel-collector.monitoring.svc:4317".to_owned(),
    ] {
        push(&mut out, rng, &mut t, &info(app.stack, &msg));
    }
    for _ in 0..body_lines {
        let msg = format!(
            "request completed method={} path={} status={} duration_ms={} bytes={} trace_id={}",
            rng.pick(&["GET", "GET", "GET", "POST", "PUT"]),
            rng.pick(PATHS),
            rng.pick(&[200, 200, 200, 201, 204, 404, 429]),
            rng.below(900),
            rng.below(40_000),
            rng.hex(32)
        );
        push(&mut out, rng, &mut t, &info(app.stack, &msg));
    }
    let tail: Vec<String> = match cause {
        Cause::OomKilled => vec![info(app.stack, &format!("cache warmed: {} entries, heap in use {}Mi", 180_000 + rng.below(90_000), app.memory_mi - 12))],
        Cause::LivenessProbeKill => vec![
            info(app.stack, "rebuilding search index, this may take several minutes"),
            "WARN  health check /healthz took 4312ms (event loop blocked)".to_owned(),
            info(app.stack, "received SIGTERM, shutting down gracefully"),
        ],
        Cause::BadArgs => vec![
            "flag provided but not defined: -enable-tracing".to_owned(),
            format!("Usage of /usr/local/bin/{}:", app.name),
            "  -log-level string".to_owned(),
            "    \tlog level: debug, info, warn, error (default \"info\")".to_owned(),
            "  -port int".to_owned(),
            "    \tHTTP port (default 8080)".to_owned(),
        ],
        Cause::DependencyUnreachable => {
            let ip = format!("10.96.{}.{}", rng.below(250), 2 + rng.below(250));
            (0..5)
                .map(|i| format!("{{\"level\":\"error\",\"msg\":\"database not ready, retrying\",\"attempt\":{},\"error\":\"dial tcp {ip}:5432: connect: connection refused\"}}", i + 1))
                .chain(std::iter::once(format!("{{\"level\":\"fatal\",\"msg\":\"giving up after 5 attempts\",\"error\":\"dial tcp {ip}:5432: connect: connection refused\"}}")))
                .collect()
        }
        Cause::InvalidAppConfig => vec!["FATAL: environment variable DATABASE_URL is not set".to_owned()],
        Cause::NoForegroundProcess => vec!["migrations applied".to_owned()],
        Cause::UnhandledException => match app.stack {
            Stack::Go => vec![
                "panic: runtime error: invalid memory address or nil pointer dereference".to_owned(),
                "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x9a3f12]".to_owned(),
                String::new(),
                "goroutine 1 [running]:".to_owned(),
                format!("main.(*Server).loadRoutes(0x0)\n\t/src/cmd/{}/main.go:212 +0x32", app.name),
            ],
            Stack::Java => vec![
                "Exception in thread \"main\" java.lang.IllegalStateException: no route definitions found".to_owned(),
                "\tat com.example.routing.RouteTable.load(RouteTable.java:88)".to_owned(),
                "\tat com.example.Application.main(Application.java:41)".to_owned(),
            ],
            Stack::Python => vec![
                "Traceback (most recent call last):".to_owned(),
                "  File \"/app/app/wsgi.py\", line 14, in <module>".to_owned(),
                "    application = create_app()".to_owned(),
                "  File \"/app/app/__init__.py\", line 52, in create_app".to_owned(),
                "    routes = load_routes(settings.ROUTES_FILE)".to_owned(),
                "TypeError: expected str, bytes or os.PathLike object, not NoneType".to_owned(),
            ],
            Stack::Node => vec![
                "node:internal/process/promises:288".to_owned(),
                "            triggerUncaughtException(err, true /* fromPromise */);".to_owned(),
                "TypeError: Cannot read properties of undefined (reading 'routes')".to_owned(),
                "    at Object.<anonymous> (/app/dist/server.js:31:27)".to_owned(),
            ],
        },
    };
    for line in tail {
        for l in line.lines() {
            push(&mut out, rng, &mut t, l);
        }
    }
    out
}

fn deployment_yaml(app: &App) -> String {
    let spec = template_spec(app, app.fleet_failure);
    let labels = format!(
        "app.kubernetes.io/name: {}\napp.kubernetes.io/part-of: {}\napp.kubernetes.io/version: {}\n",
        app.name,
        app.namespace,
        yaml_scalar(&app.version)
    );
    let applied = format!(
        "{{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{{\"annotations\":{{}},\"labels\":{{\"app.kubernetes.io/name\":\"{0}\",\"app.kubernetes.io/part-of\":\"{1}\"}},\"name\":\"{0}\",\"namespace\":\"{1}\"}},\"spec\":{{\"replicas\":{2},\"selector\":{{\"matchLabels\":{{\"app.kubernetes.io/name\":\"{0}\"}}}},\"template\":{{\"metadata\":{{\"labels\":{{\"app.kubernetes.io/name\":\"{0}\"}}}},\"spec\":{{\"containers\":[{{\"env\":[{3}],\"image\":\"{4}\",\"name\":\"{0}\"}}]}}}}}}}}",
        app.name,
        app.namespace,
        app.replicas,
        app.env
            .iter()
            .map(|(k, v)| format!("{{\"name\":\"{k}\",\"value\":\"{v}\"}}"))
            .collect::<Vec<_>>()
            .join(","),
        image(app)
    );
    let mut y = String::with_capacity(12 << 10);
    let _ = write!(
        y,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n    deployment.kubernetes.io/revision: \"2\"\n    kubectl.kubernetes.io/last-applied-configuration: |\n      {applied}\n  creationTimestamp: \"{}\"\n  generation: 2\n  labels:\n{}  managedFields:\n",
        rfc3339(app.created),
        indent(&labels, "    ", 4)
    );
    y.push_str("  - apiVersion: apps/v1\n    fieldsType: FieldsV1\n    fieldsV1:\n      f:metadata:\n        f:annotations:\n          .: {}\n          f:kubectl.kubernetes.io/last-applied-configuration: {}\n        f:labels:\n          .: {}\n          f:app.kubernetes.io/name: {}\n          f:app.kubernetes.io/part-of: {}\n      f:spec:\n        f:progressDeadlineSeconds: {}\n        f:replicas: {}\n        f:revisionHistoryLimit: {}\n        f:selector: {}\n        f:strategy:\n          f:rollingUpdate:\n            .: {}\n            f:maxSurge: {}\n            f:maxUnavailable: {}\n          f:type: {}\n        f:template:\n          f:metadata:\n            f:labels:\n              .: {}\n              f:app.kubernetes.io/name: {}\n          f:spec:\n            f:containers:\n");
    y.push_str(&indent(&container_fields(app), "              ", 14));
    y.push_str("            f:dnsPolicy: {}\n            f:restartPolicy: {}\n            f:schedulerName: {}\n            f:securityContext: {}\n            f:terminationGracePeriodSeconds: {}\n            f:volumes: {}\n    manager: kubectl-client-side-apply\n    operation: Update\n");
    let _ = writeln!(y, "    time: \"{}\"", rfc3339(app.created));
    let _ = write!(
        y,
        "  - apiVersion: apps/v1\n    fieldsType: FieldsV1\n    fieldsV1:\n      f:metadata:\n        f:annotations:\n          f:deployment.kubernetes.io/revision: {{}}\n      f:status:\n        f:availableReplicas: {{}}\n        f:conditions: {{}}\n        f:observedGeneration: {{}}\n        f:readyReplicas: {{}}\n        f:replicas: {{}}\n        f:updatedReplicas: {{}}\n    manager: kube-controller-manager\n    operation: Update\n    subresource: status\n    time: \"{}\"\n  name: {}\n  namespace: {}\n  resourceVersion: \"{}\"\n  uid: {}\nspec:\n  progressDeadlineSeconds: 600\n  replicas: {}\n  revisionHistoryLimit: 10\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {}\n  strategy:\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 25%\n    type: RollingUpdate\n  template:\n    metadata:\n      creationTimestamp: null\n      labels:\n{}    spec:\n",
        rfc3339(COLLECTED_AT - 3600),
        app.name,
        app.namespace,
        app.created % 90_000_000,
        app.uid,
        app.replicas,
        app.name,
        indent(&labels, "        ", 8)
    );
    y.push_str(&indent(&spec, "      ", 6));
    let ready = if app.fleet_failure.is_some() {
        0
    } else {
        app.replicas
    };
    let _ = write!(
        y,
        "status:\n  availableReplicas: {ready}\n  conditions:\n  - lastTransitionTime: \"{0}\"\n    lastUpdateTime: \"{0}\"\n    message: Deployment has minimum availability.\n    reason: MinimumReplicasAvailable\n    status: \"True\"\n    type: Available\n  - lastTransitionTime: \"{1}\"\n    lastUpdateTime: \"{0}\"\n    message: ReplicaSet \"{2}-{3}\" has successfully progressed.\n    reason: NewReplicaSetAvailable\n    status: \"True\"\n    type: Progressing\n  observedGeneration: 2\n  readyReplicas: {ready}\n  replicas: {4}\n  updatedReplicas: {4}\n",
        rfc3339(COLLECTED_AT - 7200),
        rfc3339(app.created),
        app.name,
        app.hash,
        app.replicas
    );
    indent(&y, "- ", 2)
}

fn replicaset_yaml(app: &App, old: bool) -> String {
    let (hash, uid, revision, replicas) = if old {
        (&app.old_hash, &app.old_rs_uid, 1, 0)
    } else {
        (&app.hash, &app.rs_uid, 2, app.replicas)
    };
    let spec = template_spec(app, if old { None } else { app.fleet_failure });
    let labels = format!(
        "app.kubernetes.io/name: {}\napp.kubernetes.io/part-of: {}\npod-template-hash: {hash}\n",
        app.name, app.namespace
    );
    let mut y = String::with_capacity(10 << 10);
    let _ = write!(
        y,
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  annotations:\n    deployment.kubernetes.io/desired-replicas: \"{0}\"\n    deployment.kubernetes.io/max-replicas: \"{1}\"\n    deployment.kubernetes.io/revision: \"{revision}\"\n  creationTimestamp: \"{2}\"\n  generation: {revision}\n  labels:\n{3}  managedFields:\n  - apiVersion: apps/v1\n    fieldsType: FieldsV1\n    fieldsV1:\n      f:metadata:\n        f:annotations:\n          .: {{}}\n          f:deployment.kubernetes.io/desired-replicas: {{}}\n          f:deployment.kubernetes.io/max-replicas: {{}}\n          f:deployment.kubernetes.io/revision: {{}}\n        f:labels:\n          .: {{}}\n          f:app.kubernetes.io/name: {{}}\n          f:pod-template-hash: {{}}\n        f:ownerReferences:\n          .: {{}}\n          k:{{\"uid\":\"{4}\"}}: {{}}\n      f:spec:\n        f:replicas: {{}}\n        f:selector: {{}}\n        f:template:\n          f:metadata:\n            f:labels:\n              .: {{}}\n              f:app.kubernetes.io/name: {{}}\n              f:pod-template-hash: {{}}\n          f:spec:\n            f:containers:\n{9}            f:dnsPolicy: {{}}\n            f:restartPolicy: {{}}\n            f:schedulerName: {{}}\n            f:securityContext: {{}}\n            f:terminationGracePeriodSeconds: {{}}\n            f:volumes: {{}}\n    manager: kube-controller-manager\n    operation: Update\n    time: \"{2}\"\n  name: {5}-{hash}\n  namespace: {6}\n  ownerReferences:\n  - apiVersion: apps/v1\n    blockOwnerDeletion: true\n    controller: true\n    kind: Deployment\n    name: {5}\n    uid: {4}\n  resourceVersion: \"{7}\"\n  uid: {uid}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {5}\n      pod-template-hash: {hash}\n  template:\n    metadata:\n      creationTimestamp: null\n      labels:\n{8}    spec:\n",
        app.replicas,
        app.replicas + app.replicas.div_ceil(4),
        rfc3339(if old {
            app.created
        } else {
            COLLECTED_AT - 7200
        }),
        indent(&labels, "    ", 4),
        app.uid,
        app.name,
        app.namespace,
        (app.created + revision) % 90_000_000,
        indent(&labels, "        ", 8),
        indent(&container_fields(app), "              ", 14)
    );
    y.push_str(&indent(&spec, "      ", 6));
    let ready = if old || app.fleet_failure.is_some() {
        0
    } else {
        replicas
    };
    let _ = write!(
        y,
        "status:\n  availableReplicas: {ready}\n  fullyLabeledReplicas: {replicas}\n  observedGeneration: {revision}\n  readyReplicas: {ready}\n  replicas: {replicas}\n"
    );
    indent(&y, "- ", 2)
}

fn service_yaml(rng: &mut Rng, app: &App) -> String {
    let y = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  creationTimestamp: \"{}\"\n  labels:\n    app.kubernetes.io/name: {}\n  name: {}\n  namespace: {}\n  resourceVersion: \"{}\"\n  uid: {}\nspec:\n  clusterIP: 10.96.{}.{}\n  clusterIPs:\n  - 10.96.{}.{}\n  internalTrafficPolicy: Cluster\n  ipFamilies:\n  - IPv4\n  ipFamilyPolicy: SingleStack\n  ports:\n  - name: http\n    port: 8080\n    protocol: TCP\n    targetPort: http\n  selector:\n    app.kubernetes.io/name: {}\n  sessionAffinity: None\n  type: ClusterIP\nstatus:\n  loadBalancer: {{}}\n",
        rfc3339(app.created),
        app.name,
        app.name,
        app.namespace,
        100_000 + rng.below(90_000_000),
        rng.uid(),
        app.created % 250,
        app.replicas + 2,
        app.created % 250,
        app.replicas + 2,
        app.name
    );
    indent(&y, "- ", 2)
}

fn configmap_yaml(rng: &mut Rng, app: &App) -> String {
    let y = format!(
        "apiVersion: v1\ndata:\n  app.yaml: <redacted>\n  logging.yaml: <redacted>\nkind: ConfigMap\nmetadata:\n  creationTimestamp: \"{}\"\n  name: {}-config\n  namespace: {}\n  resourceVersion: \"{}\"\n  uid: {}\n",
        rfc3339(app.created),
        app.name,
        app.namespace,
        100_000 + rng.below(90_000_000),
        rng.uid()
    );
    indent(&y, "- ", 2)
}

fn node_yaml(rng: &mut Rng, name: &str) -> String {
    let created = COLLECTED_AT - rng.range(5 * 86_400, 60 * 86_400);
    let hb = rfc3339(COLLECTED_AT - rng.range(5, 50));
    let since = rfc3339(created + 60);
    let kind = rng.pick(&["m6i.2xlarge", "m6i.4xlarge", "c6i.4xlarge", "r6i.2xlarge"]);
    let zone = format!("eu-west-1{}", rng.pick(&["a", "b", "c"]));
    let y = format!(
        "apiVersion: v1\nkind: Node\nmetadata:\n  annotations:\n    alpha.kubernetes.io/provided-node-ip: 10.0.1.10\n    node.alpha.kubernetes.io/ttl: \"0\"\n    volumes.kubernetes.io/controller-managed-attach-detach: \"true\"\n  creationTimestamp: \"{}\"\n  labels:\n    beta.kubernetes.io/arch: amd64\n    beta.kubernetes.io/instance-type: {kind}\n    beta.kubernetes.io/os: linux\n    kubernetes.io/arch: amd64\n    kubernetes.io/hostname: {name}\n    kubernetes.io/os: linux\n    node.kubernetes.io/instance-type: {kind}\n    topology.kubernetes.io/region: eu-west-1\n    topology.kubernetes.io/zone: {zone}\n  name: {name}\n  resourceVersion: \"{}\"\n  uid: {}\nspec:\n  providerID: aws:///{zone}/i-{}\nstatus:\n  addresses:\n  - address: 10.0.1.10\n    type: InternalIP\n  - address: {name}\n    type: Hostname\n  allocatable:\n    cpu: 7910m\n    ephemeral-storage: \"95491281146\"\n    memory: 31482108Ki\n    pods: \"110\"\n  capacity:\n    cpu: \"8\"\n    ephemeral-storage: 104845292Ki\n    memory: 32631036Ki\n    pods: \"110\"\n  conditions:\n  - lastHeartbeatTime: \"{hb}\"\n    lastTransitionTime: \"{since}\"\n    message: kubelet has sufficient memory available\n    reason: KubeletHasSufficientMemory\n    status: \"False\"\n    type: MemoryPressure\n  - lastHeartbeatTime: \"{hb}\"\n    lastTransitionTime: \"{since}\"\n    message: kubelet has no disk pressure\n    reason: KubeletHasNoDiskPressure\n    status: \"False\"\n    type: DiskPressure\n  - lastHeartbeatTime: \"{hb}\"\n    lastTransitionTime: \"{since}\"\n    message: kubelet has sufficient PID available\n    reason: KubeletHasSufficientPID\n    status: \"False\"\n    type: PIDPressure\n  - lastHeartbeatTime: \"{hb}\"\n    lastTransitionTime: \"{since}\"\n    message: kubelet is posting ready status\n    reason: KubeletReady\n    status: \"True\"\n    type: Ready\n  nodeInfo:\n    architecture: amd64\n    bootID: {}\n    containerRuntimeVersion: containerd://1.7.22\n    kernelVersion: 6.1.112-122.189.amzn2023.x86_64\n    kubeProxyVersion: v1.31.2\n    kubeletVersion: v1.31.2\n    machineID: {}\n    operatingSystem: linux\n    osImage: Amazon Linux 2023.6.20241031\n    systemUUID: {}\n",
        rfc3339(created),
        100_000 + rng.below(90_000_000),
        rng.uid(),
        rng.hex(17),
        rng.uid(),
        rng.hex(32),
        rng.uid()
    );
    indent(&y, "- ", 2)
}

fn namespace_yaml(rng: &mut Rng, name: &str) -> String {
    let y = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  creationTimestamp: \"{}\"\n  labels:\n    kubernetes.io/metadata.name: {name}\n  name: {name}\n  resourceVersion: \"{}\"\n  uid: {}\nspec:\n  finalizers:\n  - kubernetes\nstatus:\n  phase: Active\n",
        rfc3339(COLLECTED_AT - 300 * 86_400),
        1000 + rng.below(90_000),
        rng.uid()
    );
    indent(&y, "- ", 2)
}

/// A YAML plain scalar when that reads back as the same string, else a quoted one.
fn yaml_scalar(v: &str) -> String {
    let plain = !v.is_empty()
        && !v.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`0123456789 ".contains(c))
        && !v.contains(": ")
        && !v.contains(" #")
        && !v.ends_with([' ', ':'])
        && !matches!(
            v,
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~"
        );
    if plain {
        v.to_owned()
    } else if !v.contains('\'') {
        format!("'{v}'")
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> GenOptions {
        GenOptions {
            pods: 120,
            crashloop_percent: 20.0,
            clusters: 2,
            seed: 7,
            log_lines: 30,
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(COLLECTED_AT), "2026-11-28T05:00:00Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn same_seed_same_files() {
        let a = bundle_files(&small(), 1);
        let b = bundle_files(&small(), 1);
        assert_eq!(a, b);
        let other = GenOptions { seed: 8, ..small() };
        assert_ne!(a, bundle_files(&other, 1));
    }

    #[test]
    fn pods_parse_with_the_general_parser() {
        let files = bundle_files(&small(), 0);
        let mut pods = 0;
        for (path, bytes) in &files {
            if !path.ends_with(".yaml") {
                continue;
            }
            let text = std::str::from_utf8(bytes).expect("utf-8");
            let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)
                .unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"));
            if path.ends_with("/pods.yaml") {
                pods += doc["items"].as_sequence().map_or(0, Vec::len);
            }
        }
        assert_eq!(pods, 120);
        assert!(files.iter().any(|(p, _)| p.ends_with(".previous.log")));
    }
}
