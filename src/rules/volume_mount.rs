//! `volume-mount`: a volume, mount or subPath problem: the volume cannot be mounted, or the file
//! the app expects on it is not there.

use std::sync::LazyLock;

use regex::Regex;

use super::{CERTAIN, Evidence, EvidenceKind, Finding, RuleContext, Signature, hits_for};
use crate::model::pod::{Volume, VolumeMount};
use crate::model::{Event, KeyedObject};
use crate::subjects::{State, Subject};

declare_rule! {
    /// ## What it detects
    /// A volume problem: the kubelet cannot mount a volume (`FailedMount`: a missing ConfigMap,
    /// Secret or key, a claim that cannot attach, Multi-Attach), cannot prepare a `subPath`, or the
    /// app exits because a file it reads under a `mountPath` is not on the volume (a key missing from
    /// the mounted ConfigMap, a path typo, an empty new volume).
    ///
    /// ## Why it crash-loops
    /// The volume's content and the mount come from the spec and the cluster, not from the container,
    /// so every restart sees the same mount and the same missing file. Pods whose volumes cannot be
    /// mounted at all stay in `ContainerCreating` instead (not a loop).
    ///
    /// ## Evidence
    /// - `failed to prepare subPath for volumeMount "m" of container "c"` in the waiting message or a
    ///   `Failed` event (certain)
    /// - `FailedMount` events: `MountVolume.SetUp failed for volume "v" : configmap "x" not found`,
    ///   `configmap references non-existent config key: k`, `Unable to attach or mount volumes`;
    ///   `FailedAttachVolume` "Multi-Attach error" (certain while waiting, possible during a loop)
    /// - an app error `open /etc/app/x: no such file or directory` (or Python/Node/Java/nginx
    ///   equivalents) for a path under a `mountPath`, with the ConfigMap or Secret in the bundle lacking
    ///   that key (strong), or without that check (likely)
    ///
    /// ## Remedy
    /// Create the ConfigMap, Secret or key the volume needs, fix `items`, `subPath` or the path the app
    /// reads, or populate the volume; for Multi-Attach use a StatefulSet or `strategy: Recreate`.
    ///
    /// ## Not covered
    /// Missing objects referenced from `env`/`envFrom` (`missing-config-ref`), a file mounted onto a
    /// directory at start (`runtime-start-failure`), mounts that are present but not writable
    /// (`file-permission-denied`, `read-only-filesystem`), pods stuck in `ContainerCreating`, which are
    /// not analyzed as subjects.
    pub(crate) static VOLUME_MOUNT = {
        cause: VolumeMount, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "open-enoent",
        pattern: r"open (?P<target>/[^\s:]+): no such file or directory",
        example: "failed to load config: open /etc/app/config/settings.yaml: no such file or directory",
        confidence: 0.7,
    },
    Signature {
        id: "python-enoent",
        pattern: r"FileNotFoundError: \[Errno 2\] No such file or directory: '(?P<target>/[^']+)'",
        example: "FileNotFoundError: [Errno 2] No such file or directory: '/etc/app/settings.toml'",
        confidence: 0.7,
    },
    Signature {
        id: "node-enoent",
        pattern: r"ENOENT: no such file or directory, (?:open|stat|lstat|scandir) '(?P<target>/[^']+)'",
        example: "Error: ENOENT: no such file or directory, open '/config/app.json'",
        confidence: 0.7,
    },
    Signature {
        id: "java-enoent",
        pattern: r"java\.io\.FileNotFoundException: (?P<target>/\S+) \(No such file or directory\)",
        example: "java.io.FileNotFoundException: /etc/app/keystore.jks (No such file or directory)",
        confidence: 0.7,
    },
    Signature {
        id: "nginx-enoent",
        pattern: r#"open\(\) "(?P<target>/[^"]+)" failed \(2: No such file or directory\)"#,
        example: r#"nginx: [emerg] open() "/etc/nginx/conf.d/upstreams.conf" failed (2: No such file or directory) in /etc/nginx/nginx.conf:31"#,
        confidence: 0.7,
    },
];

static SUBPATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"failed to (?:prepare subPath for volumeMount "(?P<mount>[^"]+)"|create subPath directory for volumeMount "(?P<mount2>[^"]+)")"#)
        .expect("valid")
});
static MOUNT_FAILED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"MountVolume\.\w+ failed for volume "(?P<vol>[^"]+)"|unmounted volumes=\[(?P<vols>[^\]]*)\]|Multi-Attach error for volume "(?P<pv>[^"]+)""#)
        .expect("valid")
});
static MISSING_OBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?P<kind>configmap|secret)s? "(?P<name>[^"]+)" not found"#).expect("valid")
});
static MISSING_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"references non-existent (?:config|secret) key: (?P<key>\S+)").expect("valid")
});

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx
        .subjects
        .iter()
        .filter(|s| s.state.is_loop() || s.state == State::Waiting)
    {
        if let Some(f) = subpath_finding(s).or_else(|| mount_event_finding(s)) {
            out.push(f);
        } else if let Some(f) = missing_file_finding(s) {
            out.push(f);
        }
    }
}

/// `failed to prepare subPath` in the waiting message or a `Failed` event.
fn subpath_finding(s: &Subject<'_>) -> Option<Finding> {
    let waiting = s
        .waiting()
        .and_then(|w| w.message.as_deref())
        .map(|m| (Evidence::status(s, "state.waiting.message", m), m));
    let events = s
        .iter_events("Failed")
        .map(|e| (Evidence::event(e), e.text()));
    let (evidence, mount) = waiting.into_iter().chain(events).find_map(|(e, text)| {
        let c = SUBPATH.captures(text)?;
        let m = c
            .name("mount")
            .or_else(|| c.name("mount2"))?
            .as_str()
            .to_owned();
        Some((e, m))
    })?;
    let name = s.name();
    let vm = s.spec.volume_mounts.iter().find(|m| m.name == mount);
    let sub = vm.and_then(|m| m.sub_path.as_deref()).unwrap_or("?");
    let mut f = Finding::new(&VOLUME_MOUNT, s, CERTAIN)
        .title(format!(
            "container `{name}` cannot start: the kubelet fails to prepare subPath `{sub}` of volumeMount `{mount}`"
        ))
        .evidence(evidence);
    if let Some(m) = vm {
        f = f.evidence(mount_evidence(s, m));
    }
    let claim = s
        .pod
        .spec
        .volumes
        .iter()
        .find(|v| v.name == mount)
        .and_then(|v| v.persistent_volume_claim.as_ref())
        .map(|p| p.claim_name.as_str());
    let source = claim.map(|c| format!(" (PVC `{c}`)")).unwrap_or_default();
    f = f.remedy(format!(
        "check that subPath `{sub}` of volume `{mount}`{source} can be resolved: it must stay inside the volume (no symlink out of it), its `subPathExpr` variables must be set, and the volume must be writable if the directory has to be created"
    ));
    if let Some(c) = claim {
        f = f.command(format!(
            "kubectl -n {} describe pvc {c}",
            s.pod.metadata.namespace
        ));
    }
    Some(commands(s, f))
}

/// `FailedMount` / `FailedAttachVolume` events of the pod.
fn mount_event_finding(s: &Subject<'_>) -> Option<Finding> {
    let events: Vec<&Event> = s
        .iter_events("FailedMount")
        .chain(s.iter_events("FailedAttachVolume"))
        .collect();
    let e = events
        .iter()
        .rev()
        .find(|e| MOUNT_FAILED.is_match(e.text()))?;
    let text = e.text();
    let c = MOUNT_FAILED.captures(text)?;
    let volume = c
        .name("vol")
        .or_else(|| c.name("vols"))
        .or_else(|| c.name("pv"))
        .map(|m| m.as_str().split([',', ' ']).next().unwrap_or("").to_owned())
        .unwrap_or_default();
    let confidence = if s.state == State::Waiting {
        CERTAIN
    } else {
        0.6
    };
    let name = s.name();
    let ns = &s.pod.metadata.namespace;
    let spec_volume = s.pod.spec.volumes.iter().find(|v| v.name == volume);
    let (why, remedy) = if let Some(m) = MISSING_OBJECT.captures(text) {
        let kind = if &m["kind"] == "secret" {
            "Secret"
        } else {
            "ConfigMap"
        };
        (
            format!("{kind} `{}` not found", &m["name"]),
            format!(
                "create {kind} `{}` in namespace `{ns}`, or fix the name in volume `{volume}`",
                &m["name"]
            ),
        )
    } else if let Some(m) = MISSING_KEY.captures(text) {
        (
            format!("the source has no key `{}`", &m["key"]),
            format!(
                "add key `{}` to the ConfigMap/Secret of volume `{volume}`, or fix its `items`",
                &m["key"]
            ),
        )
    } else if c.name("pv").is_some() {
        (
            "the volume is still attached elsewhere (Multi-Attach)".to_owned(),
            "a ReadWriteOnce volume can attach to one node: use a StatefulSet or `strategy: Recreate`, or wait for the old pod's node to detach it".to_owned(),
        )
    } else {
        let claim = spec_volume
            .and_then(|v| v.persistent_volume_claim.as_ref())
            .map(|p| p.claim_name.clone());
        let phase = claim.as_deref().and_then(|c| {
            s.cluster
                .claims
                .iter()
                .find(|k| k.metadata.namespace == *ns && k.metadata.name == c)
                .and_then(|k| k.status.phase.clone())
        });
        (
            "the mount timed out or failed".to_owned(),
            match (claim, phase) {
                (Some(c), Some(p)) => format!(
                    "PVC `{c}` is {p}: check its events, its StorageClass and the CSI driver's pods"
                ),
                (Some(c), None) => {
                    format!(
                        "check PVC `{c}` (`kubectl -n {ns} describe pvc {c}`) and the CSI driver's pods"
                    )
                }
                (None, _) => format!(
                    "read the `FailedMount` message for volume `{volume}` and check its source"
                ),
            },
        )
    };
    let mut f = Finding::new(&VOLUME_MOUNT, s, confidence)
        .title(format!(
            "container `{name}` cannot start: volume `{volume}` fails to mount ({why})"
        ))
        .evidence(Evidence::event(e));
    f = f.waiting(s);
    f = f.termination(s);
    if s.state.is_loop() {
        f = f.note("the container still restarts: the mount failure may be from an earlier attempt; check the events' times");
    }
    Some(commands(s, f.remedy(remedy)))
}

/// An app error for a missing file under one of the container's volume mounts.
fn missing_file_finding(s: &Subject<'_>) -> Option<Finding> {
    if !s.state.is_loop() {
        return None;
    }
    let hits: Vec<_> = hits_for(s, VOLUME_MOUNT.cause).collect();
    // The hit closest to the end of the log first.
    let (hit, mount, volume) = hits.into_iter().rev().find_map(|h| {
        let path = h.target.as_deref()?;
        let m = mount_of(s, path)?;
        let v = s.pod.spec.volumes.iter().find(|v| v.name == m.name)?;
        Some((h, m, v))
    })?;
    let path = hit.target.as_deref().unwrap_or("");
    let relative = path
        .strip_prefix(m_dir(mount))
        .unwrap_or(path)
        .trim_start_matches('/');
    let file = relative.split('/').next().unwrap_or(relative);
    let source = keyed_source(s, volume);
    let name = s.name();
    let mut f;
    match &source {
        Some((kind, obj_name, Some(obj))) => {
            let in_items = volume_items(volume);
            let key_missing = if in_items.is_empty() {
                !obj.has_key(file)
            } else {
                !in_items.iter().any(|(_, p)| p == file)
            };
            if !key_missing {
                return None;
            }
            f = Finding::new(&VOLUME_MOUNT, s, 0.88).title(format!(
                "container `{name}` exits because `{path}` is missing from volume `{}` ({kind} `{obj_name}` has no key `{file}`)",
                volume.name
            ));
            f = f
                .evidence(Evidence::log_hit(s, hit))
                .evidence(mount_evidence(s, mount))
                .evidence(Evidence::new(
                    EvidenceKind::Bundle,
                    &format!(
                        "namespaces/{}/{}",
                        s.pod.metadata.namespace,
                        if *kind == "Secret" {
                            "secrets.yaml"
                        } else {
                            "configmaps.yaml"
                        }
                    ),
                    format!("{kind} {obj_name}"),
                    format!("keys: {}", obj.data.join(", ")),
                ));
            f = if in_items.is_empty() {
                f.remedy(format!(
                    "add key `{file}` to {kind} `{obj_name}` (it has: {}), or make `{name}` read a file it has",
                    obj.data.join(", ")
                ))
            } else {
                let items: Vec<String> =
                    in_items.iter().map(|(k, p)| format!("{k} → {p}")).collect();
                f.remedy(format!(
                    "volume `{}` projects only the items [{}]: add an item for `{file}`, or make `{name}` read a path it projects",
                    volume.name,
                    items.join(", ")
                ))
            };
        }
        Some((kind, obj_name, None)) => {
            f = Finding::new(&VOLUME_MOUNT, s, 0.72)
                .title(format!(
                    "container `{name}` exits because `{path}` is missing from volume `{}` ({kind} `{obj_name}`)",
                    volume.name
                ))
                .evidence(Evidence::log_hit(s, hit))
                .evidence(mount_evidence(s, mount))
                .note(format!(
                    "{kind}s of namespace `{}` are not in the bundle: the missing key cannot be confirmed",
                    s.pod.metadata.namespace
                ))
                .remedy(format!(
                    "check that {kind} `{obj_name}` has a key `{file}` (or an `items` entry projecting it)"
                ));
        }
        None => {
            f = Finding::new(&VOLUME_MOUNT, s, 0.7)
                .title(format!(
                    "container `{name}` exits because `{path}` is not on volume `{}` mounted at `{}`",
                    volume.name, mount.mount_path
                ))
                .evidence(Evidence::log_hit(s, hit))
                .evidence(mount_evidence(s, mount))
                .remedy(format!(
                    "check the path `{name}` reads against mountPath `{}`, and whether volume `{}` is populated (a new, empty volume hides nothing but holds nothing)",
                    mount.mount_path, volume.name
                ));
        }
    }
    f = f.termination(s);
    Some(commands(s, f))
}

/// The volume mount whose path contains `path` (the longest), excluding the service-account token.
fn mount_of<'a>(s: &Subject<'a>, path: &str) -> Option<&'a VolumeMount> {
    s.spec
        .volume_mounts
        .iter()
        .filter(|m| !m.mount_path.starts_with("/var/run/secrets/kubernetes.io/"))
        .filter(|m| {
            let dir = m_dir(m);
            path == dir || path.starts_with(&format!("{dir}/"))
        })
        .max_by_key(|m| m.mount_path.len())
}

fn m_dir(m: &VolumeMount) -> &str {
    m.mount_path.trim_end_matches('/')
}

/// The ConfigMap or Secret behind a volume: kind, name and the object if it was collected.
fn keyed_source<'a>(
    s: &Subject<'a>,
    v: &'a Volume,
) -> Option<(&'static str, &'a str, Option<&'a KeyedObject>)> {
    let ns = &s.pod.metadata.namespace;
    let (kind, name, set, list) = if let Some(c) = &v.config_map {
        (
            "ConfigMap",
            c.name.as_str(),
            &s.cluster.config_maps_collected,
            &s.cluster.config_maps,
        )
    } else if let Some(c) = &v.secret {
        (
            "Secret",
            c.secret_name.as_str(),
            &s.cluster.secrets_collected,
            &s.cluster.secrets,
        )
    } else {
        return None;
    };
    if !set.contains(ns) {
        return Some((kind, name, None));
    }
    let obj = list
        .iter()
        .find(|o| o.metadata.namespace == *ns && o.metadata.name == name);
    // Collected but absent: the mount itself would fail (FailedMount); not this case.
    obj.map(|o| (kind, name, Some(o)))
}

/// `items` of a ConfigMap or Secret volume as (key, path).
fn volume_items(v: &Volume) -> Vec<(String, String)> {
    let items = v
        .config_map
        .as_ref()
        .map(|c| &c.items)
        .or(v.secret.as_ref().map(|c| &c.items));
    items
        .into_iter()
        .flatten()
        .map(|i| (i.key.clone(), i.path.clone()))
        .collect()
}

fn mount_evidence(s: &Subject<'_>, m: &VolumeMount) -> Evidence {
    Evidence::spec(
        s,
        &format!("volumeMounts[{}]", m.name),
        format!(
            "mountPath {}{}",
            m.mount_path,
            m.sub_path
                .as_deref()
                .map(|p| format!(", subPath {p}"))
                .unwrap_or_default()
        ),
    )
}

fn commands(s: &Subject<'_>, f: Finding) -> Finding {
    let ns = &s.pod.metadata.namespace;
    let pod = &s.pod.metadata.name;
    f.command(format!(
        "kubectl -n {ns} describe pod {pod} | grep -A5 -i mount"
    ))
    .command(format!("kubectl -n {ns} get configmap,secret,pvc"))
}
