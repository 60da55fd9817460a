//! `missing-config-ref`: the container references a ConfigMap, Secret or key that does not exist,
//! so the kubelet cannot build its configuration (`CreateContainerConfigError`).

use std::sync::LazyLock;

use regex::Regex;

use super::{CERTAIN, Evidence, EvidenceKind, Finding, RuleContext, WEAK, waiting_evidence};
use crate::model::{Event, KeyedObject};
use crate::subjects::{State, Subject};

declare_rule! {
    /// ## What it detects
    /// A container whose `env[].valueFrom` (`configMapKeyRef`, `secretKeyRef`) or `envFrom` names a
    /// ConfigMap, Secret or key that does not exist in the pod's namespace. The kubelet cannot build
    /// the container's environment, so the container is never created.
    ///
    /// ## Why it crash-loops
    /// Usually it does not: the container waits in `CreateContainerConfigError` with `restartCount`
    /// unchanged, and the finding says so. It becomes part of a loop when the object disappears while
    /// the pod keeps restarting. Either way nothing runs until the object or key exists.
    ///
    /// ## Evidence
    /// - `state.waiting.reason: CreateContainerConfigError` with `configmap "x" not found`, `secret "x"
    ///   not found` or `couldn't find key k in ConfigMap ns/x`, or the same in a `Failed` event (certain)
    /// - the reference in the spec, and the object or key absent from the bundle's ConfigMaps or
    ///   Secrets, judged only for namespaces whose ConfigMaps/Secrets were collected (strong with
    ///   `CreateContainerConfigError`, weak alone)
    /// - `failed to sync secret cache`: the kubelet cannot reach the API server (likely)
    ///
    /// ## Remedy
    /// Create the object or key in the pod's namespace (they are namespaced), fix the name or key in
    /// the reference, or mark the reference `optional: true` if the app can run without it; for
    /// Secrets made by an operator (External Secrets, Sealed Secrets), check that it synced.
    ///
    /// ## Not covered
    /// ConfigMaps or Secrets used as volumes (`FailedMount`, `volume-mount`), a present ConfigMap with a
    /// wrong value (`invalid-app-config`), `runAsNonRoot` failures, which share the waiting reason
    /// (`security-context-blocked`).
    pub(crate) static MISSING_CONFIG_REF = {
        cause: MissingConfigRef, kind: CrashLoop, check: check, signatures: &[],
    };
}

static NOT_FOUND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?P<kind>configmap|secret)s? "(?P<name>[^"]+)" not found"#).expect("valid")
});
static KEY_NOT_FOUND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"couldn't find key (?P<key>\S+) in (?P<kind>ConfigMap|Secret) (?P<ns>[^/\s]+)/(?P<name>\S+)")
        .expect("valid")
});
static CACHE_SYNC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"failed to sync (?P<kind>configmap|secret) cache").expect("valid")
});

const CONFIG_ERROR: &str = "CreateContainerConfigError";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    ConfigMap,
    Secret,
}

impl Kind {
    fn from_word(w: &str) -> Self {
        if w.eq_ignore_ascii_case("secret") {
            Self::Secret
        } else {
            Self::ConfigMap
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::ConfigMap => "ConfigMap",
            Self::Secret => "Secret",
        }
    }

    fn resource(self) -> &'static str {
        match self {
            Self::ConfigMap => "configmap",
            Self::Secret => "secret",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Self::ConfigMap => "configmaps.yaml",
            Self::Secret => "secrets.yaml",
        }
    }
}

/// One reference of the container's spec to a ConfigMap or Secret (or one of its keys).
struct Ref {
    kind: Kind,
    name: String,
    key: Option<String>,
    /// Field path relative to the container: `env[DB_PASSWORD]`, `envFrom[0]`.
    field: String,
    optional: bool,
}

/// What the bundle says about a reference.
#[derive(PartialEq, Eq)]
enum Found {
    /// The namespace's objects of that kind were not collected: cannot judge.
    NotCollected,
    MissingObject,
    MissingKey,
    Present,
}

/// The missing thing, as the kubelet or the bundle names it.
struct Missing {
    kind: Kind,
    name: String,
    key: Option<String>,
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx
        .subjects
        .iter()
        .filter(|s| s.state.is_loop() || s.state == State::Waiting)
    {
        let config_error = s.waiting_reason() == Some(CONFIG_ERROR);
        let messages = messages(s, config_error);
        let refs = refs(s);
        let named = messages.iter().find_map(|(_, text)| parse_message(text));
        let (confidence, missing) = if let Some(m) = named {
            (CERTAIN, m)
        } else if let Some((_, text)) = messages.iter().find(|(_, t)| CACHE_SYNC.is_match(t)) {
            out.push(cache_finding(s, text, &messages));
            continue;
        } else if let Some(r) = refs.iter().find(|r| {
            !r.optional && matches!(judge(s, r), Found::MissingObject | Found::MissingKey)
        }) {
            let c = if config_error { 0.85 } else { WEAK };
            let key = (judge(s, r) == Found::MissingKey)
                .then(|| r.key.clone())
                .flatten();
            (
                c,
                Missing {
                    kind: r.kind,
                    name: r.name.clone(),
                    key,
                },
            )
        } else {
            continue;
        };
        out.push(finding(s, confidence, &missing, &messages, &refs));
    }
}

/// The kubelet's messages: the `CreateContainerConfigError` waiting message and `Failed` events.
fn messages<'a>(s: &Subject<'a>, config_error: bool) -> Vec<(Evidence, &'a str)> {
    let mut out = Vec::new();
    if config_error && let Some(m) = s.waiting().and_then(|w| w.message.as_deref()) {
        out.push((Evidence::status(s, "state.waiting.message", m), m));
    }
    let failed: Vec<&Event> = s.iter_events("Failed").collect();
    for e in failed.into_iter().rev() {
        if let Some(m) = e.text().strip_prefix("Error: ") {
            out.push((Evidence::event(e), m));
        }
    }
    out
}

fn parse_message(text: &str) -> Option<Missing> {
    if let Some(c) = KEY_NOT_FOUND.captures(text) {
        return Some(Missing {
            kind: Kind::from_word(&c["kind"]),
            name: c["name"].to_owned(),
            key: Some(c["key"].to_owned()),
        });
    }
    let c = NOT_FOUND.captures(text)?;
    Some(Missing {
        kind: Kind::from_word(&c["kind"]),
        name: c["name"].to_owned(),
        key: None,
    })
}

/// The container's references to ConfigMaps and Secrets through `env` and `envFrom`.
fn refs(s: &Subject<'_>) -> Vec<Ref> {
    let mut out = Vec::new();
    for e in &s.spec.env {
        let Some(from) = &e.value_from else { continue };
        for (kind, r) in [
            (Kind::ConfigMap, &from.config_map_key_ref),
            (Kind::Secret, &from.secret_key_ref),
        ] {
            if let Some(r) = r {
                out.push(Ref {
                    kind,
                    name: r.name.clone(),
                    key: Some(r.key.clone()),
                    field: format!("env[{}]", e.name),
                    optional: r.optional.unwrap_or(false),
                });
            }
        }
    }
    for (i, e) in s.spec.env_from.iter().enumerate() {
        for (kind, r) in [
            (Kind::ConfigMap, &e.config_map_ref),
            (Kind::Secret, &e.secret_ref),
        ] {
            if let Some(r) = r {
                out.push(Ref {
                    kind,
                    name: r.name.clone(),
                    key: None,
                    field: format!("envFrom[{i}]"),
                    optional: r.optional.unwrap_or(false),
                });
            }
        }
    }
    out
}

/// The objects of `kind` in the subject's namespace, if they were collected.
fn collected<'a>(s: &Subject<'a>, kind: Kind) -> Option<Vec<&'a KeyedObject>> {
    let ns = &s.pod.metadata.namespace;
    let (set, list) = match kind {
        Kind::ConfigMap => (&s.cluster.config_maps_collected, &s.cluster.config_maps),
        Kind::Secret => (&s.cluster.secrets_collected, &s.cluster.secrets),
    };
    set.contains(ns).then(|| {
        list.iter()
            .filter(|o| o.metadata.namespace == *ns)
            .collect()
    })
}

fn judge(s: &Subject<'_>, r: &Ref) -> Found {
    let Some(objects) = collected(s, r.kind) else {
        return Found::NotCollected;
    };
    match objects.iter().find(|o| o.metadata.name == r.name) {
        None => Found::MissingObject,
        Some(o) if r.key.as_deref().is_some_and(|k| !o.has_key(k)) => Found::MissingKey,
        Some(_) => Found::Present,
    }
}

fn finding(
    s: &Subject<'_>,
    confidence: f64,
    missing: &Missing,
    messages: &[(Evidence, &str)],
    refs: &[Ref],
) -> Finding {
    let name = s.name();
    let ns = &s.pod.metadata.namespace;
    let kind = missing.kind.name();
    let obj = &missing.name;
    let what = match &missing.key {
        Some(k) => format!("key `{k}` is missing from {kind} `{obj}`"),
        None => format!("{kind} `{obj}` is not found in namespace `{ns}`"),
    };
    let restarts = s.status.restart_count;
    let config_error = s.waiting_reason() == Some(CONFIG_ERROR);
    let title = match (config_error, restarts) {
        (true, 0) => format!(
            "container `{name}` cannot start: {what} (CreateContainerConfigError; not a crash loop, nothing restarts)"
        ),
        (true, n) => format!(
            "container `{name}` cannot start again after {n} restarts: {what} (CreateContainerConfigError)"
        ),
        (false, _) => format!("container `{name}` references a missing object: {what}"),
    };
    let mut f = Finding::new(&MISSING_CONFIG_REF, s, confidence).title(title);
    for (e, _) in messages.iter().take(2) {
        f = f.evidence(e.clone());
    }
    if messages.is_empty()
        && let Some(e) = waiting_evidence(s)
    {
        f = f.evidence(e);
    }
    let matching: Vec<&Ref> = refs
        .iter()
        .filter(|r| r.kind == missing.kind && r.name == *obj)
        .filter(|r| missing.key.is_none() || r.key == missing.key)
        .collect();
    for r in matching.iter().take(3) {
        let text = match &r.key {
            Some(k) => format!("{kind} `{obj}`, key `{k}`"),
            None => format!("all keys of {kind} `{obj}`"),
        };
        f = f.evidence(Evidence::spec(s, &r.field, text));
    }
    let objects = collected(s, missing.kind);
    let object = objects
        .as_ref()
        .and_then(|list| list.iter().find(|o| o.metadata.name == *obj).copied());
    let source = format!("namespaces/{ns}/{}", missing.kind.file());
    match (&objects, object, &missing.key) {
        (None, _, _) => {
            f = f.note(format!(
                "{kind}s of namespace `{ns}` were not collected, so the bundle cannot confirm what is missing"
            ));
        }
        (Some(list), None, _) => {
            let names: Vec<&str> = list.iter().map(|o| o.metadata.name.as_str()).collect();
            f = f.evidence(Evidence::new(
                EvidenceKind::Bundle,
                &source,
                format!("{kind} {obj}"),
                format!(
                    "not in the bundle; namespace `{ns}` has: {}",
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
        (Some(_), Some(o), Some(k)) if !o.has_key(k) => {
            f = f.evidence(Evidence::new(
                EvidenceKind::Bundle,
                &source,
                format!("{kind} {obj}"),
                format!("has keys: {}", keys_of(o)),
            ));
        }
        (Some(_), Some(_), _) => {
            f = f.note(format!(
                "the bundle has {kind} `{obj}`{}: it was created after the kubelet's last attempt, or the kubelet's cache is stale",
                missing.key.as_deref().map(|k| format!(" with key `{k}`")).unwrap_or_default()
            ));
        }
    }
    f = f.termination(s);
    f = remedy(s, f, missing, object, objects.as_deref(), &matching);
    f.command(format!("kubectl -n {ns} get configmap,secret"))
        .command(match (&missing.key, missing.kind) {
            (Some(_), Kind::Secret) => {
                format!("kubectl -n {ns} get secret {obj} -o jsonpath='{{.data}}' | jq 'keys'")
            }
            (Some(_), Kind::ConfigMap) => {
                format!("kubectl -n {ns} get configmap {obj} -o jsonpath='{{.data}}'")
            }
            (None, k) => format!("kubectl -n {ns} get {} {obj}", k.resource()),
        })
}

fn remedy(
    s: &Subject<'_>,
    mut f: Finding,
    missing: &Missing,
    object: Option<&KeyedObject>,
    objects: Option<&[&KeyedObject]>,
    matching: &[&Ref],
) -> Finding {
    let ns = &s.pod.metadata.namespace;
    let kind = missing.kind.name();
    let obj = &missing.name;
    let fields: Vec<&str> = matching.iter().map(|r| r.field.as_str()).collect();
    let used_by = if fields.is_empty() {
        String::new()
    } else {
        format!(" (used by {})", fields.join(", "))
    };
    match (&missing.key, object) {
        (Some(k), Some(o)) => {
            f = f.remedy(format!(
                "add key `{k}` to {kind} `{obj}` (it has: {}), or fix the key name in the reference{used_by}",
                keys_of(o)
            ));
        }
        (Some(k), None) => {
            f = f.remedy(format!(
                "add key `{k}` to {kind} `{obj}` in namespace `{ns}`, or fix the key name in the reference{used_by}"
            ));
        }
        (None, _) => {
            let keys: Vec<&str> = s
                .spec
                .env
                .iter()
                .filter_map(|e| e.value_from.as_ref())
                .filter_map(|v| match missing.kind {
                    Kind::ConfigMap => v.config_map_key_ref.as_ref(),
                    Kind::Secret => v.secret_key_ref.as_ref(),
                })
                .filter(|r| r.name == *obj)
                .map(|r| r.key.as_str())
                .collect();
            let with = if keys.is_empty() {
                String::new()
            } else {
                format!(
                    " with key(s) {}",
                    keys.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            f = f.remedy(format!(
                "create {kind} `{obj}` in namespace `{ns}`{with}{used_by}: ConfigMaps and Secrets are not shared across namespaces"
            ));
            if let Some(similar) = objects.and_then(|list| similar_name(list, obj)) {
                f = f.remedy(format!(
                    "or fix the name: namespace `{ns}` has {kind} `{similar}`"
                ));
            }
            if missing.kind == Kind::Secret {
                f = f.remedy("if an operator creates this Secret (External Secrets, Sealed Secrets, a CSI driver), check that resource's sync status and events");
            }
        }
    }
    f.remedy("if the app can run without it, mark the reference `optional: true`")
}

/// A finding for a kubelet that cannot sync its ConfigMap/Secret cache.
fn cache_finding(s: &Subject<'_>, text: &str, messages: &[(Evidence, &str)]) -> Finding {
    let name = s.name();
    let kind = CACHE_SYNC.captures(text).map_or("secret", |c| {
        if &c["kind"] == "configmap" {
            "configmap"
        } else {
            "secret"
        }
    });
    let node = s.pod.spec.node_name.as_deref().unwrap_or("the node");
    let mut f = Finding::new(&MISSING_CONFIG_REF, s, 0.7).title(format!(
        "container `{name}` cannot start: the kubelet on `{node}` fails to sync its {kind} cache (CreateContainerConfigError)"
    ));
    for (e, _) in messages.iter().take(2) {
        f = f.evidence(e.clone());
    }
    f.remedy(format!(
        "the referenced objects may exist: check the kubelet on `{node}` can reach the API server (`journalctl -u kubelet`) and that the node is Ready"
    ))
    .command(format!("kubectl describe node {node}"))
}

/// The keys of an object, for messages.
fn keys_of(o: &KeyedObject) -> String {
    let keys: Vec<&str> = o
        .data
        .iter()
        .chain(&o.binary_data)
        .chain(&o.string_data)
        .map(String::as_str)
        .collect();
    if keys.is_empty() {
        "no keys".to_owned()
    } else {
        keys.join(", ")
    }
}

/// An object whose name is close to `name` (a typo, or a prefix/suffix variant).
fn similar_name<'a>(objects: &[&'a KeyedObject], name: &str) -> Option<&'a str> {
    objects
        .iter()
        .map(|o| o.metadata.name.as_str())
        .filter(|n| *n != name && *n != "kube-root-ca.crt")
        .map(|n| (edit_distance(n, name), n))
        .filter(|(d, n)| *d <= 3 || n.contains(name) || name.contains(n))
        .min()
        .map(|(_, n)| n)
}

/// Levenshtein distance of two short names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubelet_messages() {
        let m = parse_message(r#"secret "payments-db" not found"#).unwrap();
        assert!(m.kind == Kind::Secret && m.name == "payments-db" && m.key.is_none());
        let m = parse_message("couldn't find key LOG_LEVEL in ConfigMap shop/app-config").unwrap();
        assert_eq!(m.key.as_deref(), Some("LOG_LEVEL"));
        assert_eq!(m.name, "app-config");
    }

    /// Messages as kubelets print them in public issue reports (older kubelets name the resource
    /// in the plural).
    #[test]
    fn parses_real_kubelet_messages() {
        let m = parse_message(r#"Error: secrets "my-password" not found"#).unwrap();
        assert!(m.kind == Kind::Secret && m.name == "my-password" && m.key.is_none());
        let m = parse_message(
            r#"MountVolume.SetUp failed for volume "cf-secrets" : secrets "secrets-2.16.4-1" not found"#,
        )
        .unwrap();
        assert!(m.kind == Kind::Secret && m.name == "secrets-2.16.4-1");
        let m = parse_message(
            r#"MountVolume.SetUp failed for volume "config" : configmap "app-config" not found"#,
        )
        .unwrap();
        assert!(m.kind == Kind::ConfigMap && m.name == "app-config");
        let m = parse_message(
            "Error: couldn't find key postgresql-password in Secret test/my-postgresql",
        )
        .unwrap();
        assert!(m.kind == Kind::Secret && m.name == "my-postgresql");
        assert_eq!(m.key.as_deref(), Some("postgresql-password"));
        assert!(parse_message("Error: ImagePullBackOff").is_none());
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("payments-db", "payment-db"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }
}
