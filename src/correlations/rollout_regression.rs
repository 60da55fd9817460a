//! `RolloutRegression`: see the declaration's documentation (printed by `ktriage explain rollout-regression`).

use std::collections::{BTreeMap, BTreeSet};

use super::{Correlation, above_members, explained_base, is_healthy, is_loop, members};
use crate::cause::Cause;
use crate::finding::{ReportFinding, WorkloadName};
use crate::model::pod::{Container, PodSpec, SecurityContext};
use crate::model::{Cluster, Pod, Workload};
use crate::rules::{CERTAIN, Evidence, EvidenceKind, calibrated};
use crate::subjects::Subject;

declare_correlation! {
    /// ## What it detects
    /// A rollout that broke a workload: a Deployment whose newest ReplicaSet's pods crash-loop while pods
    /// of an older ReplicaSet run and are ready, or a StatefulSet whose pods of the update revision fail
    /// while pods of the current revision are healthy.
    ///
    /// ## Why it crash-loops
    /// The new pod template (an image, a command, an env variable, a resource limit, a securityContext)
    /// or what it references does not work; the old revision still does.
    ///
    /// ## Evidence
    /// - the revisions (`deployment.kubernetes.io/revision`, `controller-revision-hash`) of the failing
    ///   and the healthy pods
    /// - the template fields that changed between the two revisions, values of sensitive env names hidden
    /// - the Deployment's `Progressing` condition when the rollout timed out (`ProgressDeadlineExceeded`)
    /// - at least as certain as the loops it explains, so it ranks above them
    ///
    /// ## Remedy
    /// Roll back (`kubectl rollout undo deployment/<name> --to-revision=<old>`), then fix what changed in
    /// the new revision before rolling forward. When the templates are equal, compare the ConfigMaps and
    /// Secrets they reference and the image digests (`imageID`) of old and new pods (a mutable tag).
    ///
    /// ## Not covered
    /// DaemonSets and other kinds; a ReplicaSet scaled to zero (its template is not kept); a first rollout
    /// with no older healthy revision; a rollout in which every revision fails.
    pub(crate) static ROLLOUT_REGRESSION = {
        cause: RolloutRegression,
        summary: "only the newest revision of a workload fails; names the template fields that changed",
        run: Some(rollout_regressions),
    };
}

/// Env names whose values are never shown, even changed.
const SENSITIVE: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "KEY",
    "CREDENTIAL",
    "AUTH",
];

// ---------------------------------------------------------------------------------------------
// rollout-regression

/// Deployments whose newest ReplicaSet fails while an older one is healthy, and StatefulSets
/// whose updated pods fail while current-revision pods are healthy.
fn rollout_regressions(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &mut [ReportFinding],
    added: &mut Vec<ReportFinding>,
) {
    let mut by_workload: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if is_loop(f, subjects) {
            by_workload
                .entry((
                    f.namespace.clone(),
                    f.workload.kind.clone(),
                    f.workload.name.clone(),
                ))
                .or_default()
                .push(i);
        }
    }
    for ((ns, kind, name), explained) in by_workload {
        let failing: Vec<&Subject<'_>> = explained
            .iter()
            .flat_map(|&i| members(&findings[i], subjects))
            .filter(|s| s.state.is_loop())
            .collect();
        let correlation = match kind.as_str() {
            "Deployment" => {
                deployment_regression(cluster, &ns, &name, &failing, findings, &explained)
            }
            "StatefulSet" => {
                statefulset_regression(cluster, &ns, &name, &failing, findings, &explained)
            }
            _ => None,
        };
        let Some(c) = correlation else { continue };
        let note = format!("part of rollout-regression of {kind} `{name}`");
        for &i in &c.explained {
            findings[i].notes.push(note.clone());
        }
        added.push(c.build(cluster, findings));
    }
}

/// A Deployment's ReplicaSets with their revisions, oldest first.
fn replica_sets<'c>(cluster: &'c Cluster, ns: &str, name: &str) -> Vec<(i64, &'c Workload)> {
    let mut sets: Vec<(i64, &Workload)> = cluster
        .workloads_in("ReplicaSet", ns)
        .iter()
        .filter(|w| w.deployment() == Some(name))
        .filter_map(|w| Some((w.revision()?, w)))
        .collect();
    sets.sort_by_key(|(r, _)| *r);
    sets
}

/// The running, ready pods a ReplicaSet owns.
fn healthy_pods_of<'c>(cluster: &'c Cluster, ns: &str, rs: &str) -> Vec<&'c Pod> {
    cluster
        .pods_in(ns)
        .iter()
        .filter(|p| p.metadata.controller().is_some_and(|o| o.name == rs) && is_healthy(p))
        .collect()
}

fn deployment_regression(
    cluster: &Cluster,
    ns: &str,
    name: &str,
    failing: &[&Subject<'_>],
    findings: &[ReportFinding],
    explained: &[usize],
) -> Option<Correlation> {
    // A ReplicaSet scaled to zero neither fails nor serves (and its template is not read:
    // `WorkloadSpec`), so it is no side of a regression.
    let scaled = |w: &Workload| w.spec.replicas != Some(0);
    let sets = replica_sets(cluster, ns, name);
    let &(new_rev, new_rs) = sets.last().filter(|(_, w)| scaled(w))?;
    let new_name = new_rs.metadata.name.as_str();
    if failing.is_empty()
        || !failing
            .iter()
            .all(|s| s.workload.revision.as_deref() == Some(new_name))
    {
        return None;
    }
    // The newest older revision that still serves.
    let (old_rev, old_rs, healthy) = sets[..sets.len() - 1]
        .iter()
        .rev()
        .filter(|(_, w)| scaled(w))
        .map(|&(r, w)| (r, w, healthy_pods_of(cluster, ns, &w.metadata.name)))
        .find(|(_, _, pods)| !pods.is_empty())?;
    let old_name = old_rs.metadata.name.as_str();
    let container = findings[explained[0]].container.clone();
    let changes = diff_templates(old_rs.spec.pod_spec(), new_rs.spec.pod_spec(), true);
    let source = new_rs.source.clone();
    let mut evidence = vec![
        Evidence::new(
            EvidenceKind::Status,
            &source,
            format!("{new_name}: metadata.annotations[deployment.kubernetes.io/revision]"),
            format!(
                "revision {new_rev} (`{new_name}`): {} failing pod{}",
                failing.len(),
                if failing.len() == 1 { "" } else { "s" }
            ),
        ),
        Evidence::new(
            EvidenceKind::Status,
            &healthy[0].source,
            format!("{old_name}: pods running and ready"),
            format!(
                "revision {old_rev} (`{old_name}`): {} healthy pod{} ({})",
                healthy.len(),
                if healthy.len() == 1 { "" } else { "s" },
                healthy
                    .iter()
                    .map(|p| p.metadata.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    ];
    for (field, text) in &changes {
        evidence.push(Evidence::new(
            EvidenceKind::Spec,
            &source,
            format!("{old_name} → {new_name}: spec.template.spec.{field}"),
            text,
        ));
    }
    if let Some(e) = findings[explained[0]].evidence.first() {
        evidence.push(e.clone());
    }
    evidence.extend(progress_deadline(cluster, ns, name));
    let changed: Vec<&str> = changes.iter().map(|(f, _)| f.as_str()).collect();
    let (mut title, remediation) = regression_text(ns, name, new_rev, old_rev, &changed);
    // Name the concrete failure the new revision shows, so the headline says what breaks.
    let mut causes: Vec<&str> = explained.iter().map(|&i| findings[i].cause.id()).collect();
    causes.sort_unstable();
    causes.dedup();
    title = title.replacen(
        " fails while",
        &format!(
            " fails ({}) while",
            causes
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        1,
    );
    let mut notes = Vec::new();
    if new_rs.spec.pod_spec().containers.is_empty() {
        notes.push(
            "the bundle's ReplicaSets have no pod templates: the changed fields are unknown"
                .to_owned(),
        );
    }
    Some(Correlation {
        cause: Cause::RolloutRegression,
        confidence: regression_confidence(findings, explained),
        base: explained_base(findings, explained),
        title,
        namespace: ns.to_owned(),
        workload: WorkloadName {
            kind: "Deployment".to_owned(),
            name: name.to_owned(),
        },
        container,
        explained: explained.to_vec(),
        evidence,
        remediation,
        commands: vec![
            format!("kubectl -n {ns} rollout history deployment/{name} --revision={new_rev}"),
            format!("kubectl -n {ns} rollout history deployment/{name} --revision={old_rev}"),
            format!("kubectl -n {ns} rollout undo deployment/{name} --to-revision={old_rev}"),
        ],
        notes,
    })
}

/// The Deployment's `Progressing=False ProgressDeadlineExceeded` condition, when the rollout
/// gave up ("ReplicaSet "x" has timed out progressing.").
fn progress_deadline(cluster: &Cluster, ns: &str, name: &str) -> Option<Evidence> {
    let deployment = cluster.find_workload("Deployment", ns, name)?;
    let c = deployment
        .status
        .conditions
        .iter()
        .find(|c| c.kind == "Progressing")
        .filter(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded"))?;
    Some(Evidence::new(
        EvidenceKind::Status,
        &deployment.source,
        format!("{name}: status.conditions[Progressing]"),
        format!(
            "{} ProgressDeadlineExceeded: {}",
            c.status,
            c.message.as_deref().unwrap_or("")
        ),
    ))
}

/// A regression is at least as certain as the loops it explains (it adds the revision fact),
/// so it ranks above them.
fn regression_confidence(findings: &[ReportFinding], explained: &[usize]) -> f64 {
    above_members(calibrated(CERTAIN), findings, explained)
}

/// Title and remediation of a Deployment's rollout regression.
fn regression_text(
    ns: &str,
    name: &str,
    new_rev: i64,
    old_rev: i64,
    changed: &[&str],
) -> (String, Vec<String>) {
    let title = if changed.is_empty() {
        format!(
            "revision {new_rev} of Deployment `{name}` fails while revision {old_rev} runs; the pod templates are equal (a mutable tag or changed config?)"
        )
    } else {
        format!(
            "revision {new_rev} of Deployment `{name}` fails while revision {old_rev} runs; changed: {}",
            summarize_fields(changed)
        )
    };
    let mut remediation = vec![format!(
        "roll back to revision {old_rev}: `kubectl -n {ns} rollout undo deployment/{name} --to-revision={old_rev}`"
    )];
    if changed.is_empty() {
        remediation.push(format!(
            "the templates do not differ: compare the ConfigMaps and Secrets they reference and the image digests (`imageID`) of old and new pods of `{name}`"
        ));
    } else {
        remediation.push(format!(
            "fix what changed in revision {new_rev} ({}) before rolling forward again",
            summarize_fields(changed)
        ));
    }
    (title, remediation)
}

fn statefulset_regression(
    cluster: &Cluster,
    ns: &str,
    name: &str,
    failing: &[&Subject<'_>],
    findings: &[ReportFinding],
    explained: &[usize],
) -> Option<Correlation> {
    let sts = cluster.find_workload("StatefulSet", ns, name)?;
    let update = sts.status.update_revision.as_deref()?;
    let current = sts.status.current_revision.as_deref()?;
    if update == current
        || failing.is_empty()
        || !failing
            .iter()
            .all(|s| s.workload.revision.as_deref() == Some(update))
    {
        return None;
    }
    let healthy = healthy_pods_of_revision(cluster, ns, name, current);
    let first = healthy.first()?;
    let source = sts.source.clone();
    let mut evidence = vec![
        Evidence::new(
            EvidenceKind::Status,
            &source,
            format!("{name}: status.updateRevision"),
            format!("updateRevision {update}, currentRevision {current}"),
        ),
        Evidence::new(
            EvidenceKind::Status,
            &first.source,
            format!("{name}: pods of {current} running and ready"),
            healthy
                .iter()
                .map(|p| p.metadata.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    // No ControllerRevisions in a bundle: compare a failing pod's spec with a healthy one's,
    // without the per-pod claims (`data-redis-0` vs `data-redis-2`).
    let bad = failing[0].pod;
    let changes = pod_spec_changes(first, bad);
    for (field, text) in &changes {
        evidence.push(Evidence::new(
            EvidenceKind::Spec,
            &bad.source,
            format!(
                "{} → {}: spec.{field}",
                first.metadata.name, bad.metadata.name
            ),
            text,
        ));
    }
    if let Some(e) = findings[explained[0]].evidence.first() {
        evidence.push(e.clone());
    }
    let changed: Vec<&str> = changes.iter().map(|(f, _)| f.as_str()).collect();
    let what = if changed.is_empty() {
        String::new()
    } else {
        format!("; changed: {}", summarize_fields(&changed))
    };
    Some(Correlation {
        cause: Cause::RolloutRegression,
        confidence: regression_confidence(findings, explained),
        base: explained_base(findings, explained),
        title: format!(
            "the update of StatefulSet `{name}` to `{update}` fails while pods of `{current}` run{what}"
        ),
        namespace: ns.to_owned(),
        workload: WorkloadName {
            kind: "StatefulSet".to_owned(),
            name: name.to_owned(),
        },
        container: findings[explained[0]].container.clone(),
        explained: explained.to_vec(),
        evidence,
        remediation: vec![
            format!(
                "roll back: `kubectl -n {ns} rollout undo statefulset/{name}`; with `OrderedReady` the update stays stuck at the failing pod until then"
            ),
            format!(
                "compare the two revisions: `kubectl -n {ns} get controllerrevision {current} {update} -o yaml`"
            ),
        ],
        commands: vec![
            format!("kubectl -n {ns} rollout history statefulset/{name}"),
            format!("kubectl -n {ns} rollout undo statefulset/{name}"),
        ],
        notes: vec![format!(
            "the bundle has no ControllerRevisions: the changed fields come from the specs of `{}` and `{}`",
            first.metadata.name, bad.metadata.name
        )],
    })
}

/// The running, ready pods of a StatefulSet at `revision`.
fn healthy_pods_of_revision<'c>(
    cluster: &'c Cluster,
    ns: &str,
    name: &str,
    revision: &str,
) -> Vec<&'c Pod> {
    cluster
        .pods_in(ns)
        .iter()
        .filter(|p| {
            p.metadata
                .controller()
                .is_some_and(|o| o.kind == "StatefulSet" && o.name == name)
                && p.metadata
                    .labels
                    .get("controller-revision-hash")
                    .map(String::as_str)
                    == Some(revision)
                && is_healthy(p)
        })
        .collect()
}

/// The fields that differ between two pods' specs, ignoring per-pod claims.
fn pod_spec_changes(old: &Pod, new: &Pod) -> Vec<(String, String)> {
    let without_claims = |p: &Pod| {
        let mut spec = p.spec.clone();
        spec.volumes.retain(|v| v.persistent_volume_claim.is_none());
        spec
    };
    diff_templates(&without_claims(old), &without_claims(new), true)
}

/// "image, env (`A`, `B`), resources" from `containers[api].image`, `containers[api].env[A]`, ….
fn summarize_fields(fields: &[&str]) -> String {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for f in fields {
        let short = f.split_once("].").map_or(*f, |(_, rest)| rest);
        let (field, key) = match short.split_once('[') {
            Some((field, key)) => (field, Some(key.trim_end_matches(']'))),
            None => (short, None),
        };
        let i = out.iter().position(|(f, _)| f == field).unwrap_or_else(|| {
            out.push((field.to_owned(), Vec::new()));
            out.len() - 1
        });
        if let Some(k) = key {
            out[i].1.push(format!("`{k}`"));
        }
    }
    out.into_iter()
        .map(|(f, keys)| {
            if keys.is_empty() {
                f
            } else {
                format!("{f} ({})", keys.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fields that differ between two pod templates, each with a description of the change.
/// Env values are shown (those of sensitive names hidden) when `env_values` is true; otherwise
/// only which names were added or removed, and that a value changed.
pub(crate) fn diff_templates(
    old: &PodSpec,
    new: &PodSpec,
    env_values: bool,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (list, olds, news) in [
        ("initContainers", &old.init_containers, &new.init_containers),
        ("containers", &old.containers, &new.containers),
    ] {
        for n in news {
            let path = format!("{list}[{}]", n.name);
            match olds.iter().find(|o| o.name == n.name) {
                Some(o) => diff_container(&path, o, n, env_values, &mut out),
                None => out.push((path, "container added".to_owned())),
            }
        }
        for o in olds
            .iter()
            .filter(|o| !news.iter().any(|n| n.name == o.name))
        {
            out.push((
                format!("{list}[{}]", o.name),
                "container removed".to_owned(),
            ));
        }
    }
    if old.security_context != new.security_context {
        out.push((
            "securityContext".to_owned(),
            format!(
                "{} → {}",
                security_context_text(&old.security_context),
                security_context_text(&new.security_context)
            ),
        ));
    }
    let refs = |s: &PodSpec| -> BTreeSet<String> {
        s.volumes
            .iter()
            .filter_map(|v| {
                v.config_map
                    .as_ref()
                    .map(|c| format!("configMap {}", c.name))
                    .or_else(|| {
                        v.secret
                            .as_ref()
                            .map(|c| format!("secret {}", c.secret_name))
                    })
                    .or_else(|| {
                        v.persistent_volume_claim
                            .as_ref()
                            .map(|c| format!("claim {}", c.claim_name))
                    })
            })
            .collect()
    };
    let (ro, rn) = (refs(old), refs(new));
    if ro != rn {
        out.push(("volumes".to_owned(), change_of_sets(&ro, &rn)));
    }
    out
}

/// Adds the changed fields of one container.
fn diff_container(
    path: &str,
    o: &Container,
    n: &Container,
    env_values: bool,
    out: &mut Vec<(String, String)>,
) {
    if o.image != n.image {
        out.push((
            format!("{path}.image"),
            format!("{} → {}", o.image, n.image),
        ));
    }
    if o.command != n.command {
        out.push((
            format!("{path}.command"),
            format!("{:?} → {:?}", o.command, n.command),
        ));
    }
    if o.args != n.args {
        out.push((
            format!("{path}.args"),
            format!("{:?} → {:?}", o.args, n.args),
        ));
    }
    diff_env(path, o, n, env_values, out);
    let from = |c: &Container| -> BTreeSet<String> {
        c.env_from
            .iter()
            .filter_map(|e| {
                e.config_map_ref
                    .as_ref()
                    .map(|r| format!("configMapRef {}", r.name))
                    .or_else(|| {
                        e.secret_ref
                            .as_ref()
                            .map(|r| format!("secretRef {}", r.name))
                    })
            })
            .collect()
    };
    let (fo, fnew) = (from(o), from(n));
    if fo != fnew {
        out.push((format!("{path}.envFrom"), change_of_sets(&fo, &fnew)));
    }
    if o.resources != n.resources {
        let show = |r: &crate::model::pod::Resources| {
            format!("requests {:?}, limits {:?}", r.requests, r.limits)
        };
        out.push((
            format!("{path}.resources"),
            format!("{} → {}", show(&o.resources), show(&n.resources)),
        ));
    }
    for (field, a, b) in [
        ("livenessProbe", &o.liveness_probe, &n.liveness_probe),
        ("readinessProbe", &o.readiness_probe, &n.readiness_probe),
        ("startupProbe", &o.startup_probe, &n.startup_probe),
    ] {
        if a != b {
            let show = |p: &Option<Box<crate::model::pod::Probe>>| {
                p.as_deref().map_or_else(
                    || "none".to_owned(),
                    |p| format!("{} (kills after ~{}s)", p.describe(), p.budget_secs()),
                )
            };
            out.push((
                format!("{path}.{field}"),
                format!("{} → {}", show(a), show(b)),
            ));
        }
    }
    if o.security_context != n.security_context {
        out.push((
            format!("{path}.securityContext"),
            format!(
                "{} → {}",
                security_context_text(&o.security_context),
                security_context_text(&n.security_context)
            ),
        ));
    }
    let mounts = |c: &Container| -> BTreeSet<String> {
        c.volume_mounts
            .iter()
            .map(|m| format!("{} at {}", m.name, m.mount_path))
            .collect()
    };
    let (mo, mn) = (mounts(o), mounts(n));
    if mo != mn {
        out.push((format!("{path}.volumeMounts"), change_of_sets(&mo, &mn)));
    }
}

/// Adds the env variables added, removed or changed (values of sensitive names hidden, and
/// all values unless `values`).
fn diff_env(
    path: &str,
    o: &Container,
    n: &Container,
    values: bool,
    out: &mut Vec<(String, String)>,
) {
    let env = |c: &Container| -> BTreeMap<String, String> {
        c.env
            .iter()
            .map(|e| {
                let value = match (&e.value, &e.value_from) {
                    (Some(v), _) => v.clone(),
                    (None, Some(f)) => f
                        .config_map_key_ref
                        .as_ref()
                        .map(|r| format!("configMapKeyRef {}/{}", r.name, r.key))
                        .or_else(|| {
                            f.secret_key_ref
                                .as_ref()
                                .map(|r| format!("secretKeyRef {}/{}", r.name, r.key))
                        })
                        .or_else(|| {
                            f.field_ref
                                .as_ref()
                                .map(|r| format!("fieldRef {}", r.field_path))
                        })
                        .unwrap_or_default(),
                    (None, None) => String::new(),
                };
                (e.name.clone(), value)
            })
            .collect()
    };
    let (eo, en) = (env(o), env(n));
    for name in eo.keys().chain(en.keys()).collect::<BTreeSet<_>>() {
        let shown = |v: &str| {
            if SENSITIVE
                .iter()
                .any(|w| name.to_ascii_uppercase().contains(w))
                && !v.contains("KeyRef")
            {
                "<redacted>".to_owned()
            } else {
                format!("`{v}`")
            }
        };
        let text = match (eo.get(name), en.get(name)) {
            (Some(a), Some(b)) if a != b && values => {
                format!("{name}: {} → {}", shown(a), shown(b))
            }
            (Some(a), Some(b)) if a != b => format!("{name}: value changed"),
            (Some(_), None) if !values => format!("{name} removed"),
            (None, Some(_)) if !values => format!("{name} added"),
            (Some(_), None) => format!("{name} removed"),
            (None, Some(b)) => format!("{name} added: {}", shown(b)),
            _ => continue,
        };
        out.push((format!("{path}.env[{name}]"), text));
    }
}

/// A securityContext as the fields it sets, named as in the pod spec:
/// `{runAsNonRoot: true, capabilities.drop: [ALL]}` (not Rust's debug form).
fn security_context_text(s: &SecurityContext) -> String {
    let mut parts = Vec::new();
    let flags = [
        ("runAsNonRoot", s.run_as_non_root),
        ("readOnlyRootFilesystem", s.read_only_root_filesystem),
        ("privileged", s.privileged),
        ("allowPrivilegeEscalation", s.allow_privilege_escalation),
    ];
    let ids = [
        ("runAsUser", s.run_as_user),
        ("runAsGroup", s.run_as_group),
        ("fsGroup", s.fs_group),
    ];
    parts.extend(
        flags
            .iter()
            .filter_map(|(name, v)| v.map(|v| format!("{name}: {v}"))),
    );
    parts.extend(
        ids.iter()
            .filter_map(|(name, v)| v.map(|v| format!("{name}: {v}"))),
    );
    for (name, list) in [
        ("capabilities.add", &s.capabilities.add),
        ("capabilities.drop", &s.capabilities.drop),
    ] {
        if !list.is_empty() {
            parts.push(format!("{name}: [{}]", list.join(", ")));
        }
    }
    if let Some(p) = &s.seccomp_profile {
        parts.push(format!("seccompProfile.type: {}", p.kind));
    }
    format!("{{{}}}", parts.join(", "))
}

/// "added x; removed y".
fn change_of_sets(old: &BTreeSet<String>, new: &BTreeSet<String>) -> String {
    let added: Vec<&str> = new.difference(old).map(String::as_str).collect();
    let removed: Vec<&str> = old.difference(new).map(String::as_str).collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed {}", removed.join(", ")));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A changed securityContext is shown in the pod spec's names, not Rust's debug form.
    #[test]
    fn security_context_changes_read_like_the_spec() {
        let old: SecurityContext =
            serde_yaml_ng::from_str("runAsNonRoot: true\nrunAsUser: 1000\n").expect("valid");
        let new: SecurityContext = serde_yaml_ng::from_str(
            "readOnlyRootFilesystem: true\ncapabilities: {drop: [ALL]}\nseccompProfile: {type: RuntimeDefault}\n",
        )
        .expect("valid");
        assert_eq!(
            security_context_text(&old),
            "{runAsNonRoot: true, runAsUser: 1000}"
        );
        assert_eq!(
            security_context_text(&new),
            "{readOnlyRootFilesystem: true, capabilities.drop: [ALL], seccompProfile.type: RuntimeDefault}"
        );
        assert_eq!(security_context_text(&SecurityContext::default()), "{}");
    }

    #[test]
    fn template_diff_names_changed_fields_and_hides_secrets() {
        let old: PodSpec = serde_yaml_ng::from_str(
            r#"
containers:
- name: api
  image: shop/api:1.8.2
  args: ["--port=8080"]
  env:
  - {name: LOG_LEVEL, value: info}
  - {name: DB_PASSWORD, value: hunter2}
  envFrom:
  - configMapRef: {name: api-config-v1}
  resources: {limits: {memory: 512Mi}}
"#,
        )
        .expect("valid");
        let new: PodSpec = serde_yaml_ng::from_str(
            r#"
containers:
- name: api
  image: shop/api:1.9.0
  args: ["--port=8080"]
  env:
  - {name: LOG_LEVEL, value: info}
  - {name: DB_PASSWORD, value: correct-horse}
  envFrom:
  - configMapRef: {name: api-config-v2}
  resources: {limits: {memory: 256Mi}}
  readinessProbe: {httpGet: {path: /ready, port: "8080"}}
"#,
        )
        .expect("valid");
        let changes = diff_templates(&old, &new, true);
        let fields: Vec<&str> = changes.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "containers[api].image",
                "containers[api].env[DB_PASSWORD]",
                "containers[api].envFrom",
                "containers[api].resources",
                "containers[api].readinessProbe",
            ]
        );
        let text = changes
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(!text.contains("hunter2") && !text.contains("correct-horse"));
        assert!(
            text.contains("added configMapRef api-config-v2; removed configMapRef api-config-v1")
        );
        assert_eq!(
            summarize_fields(&fields),
            "image, env (`DB_PASSWORD`), envFrom, resources, readinessProbe"
        );
    }
}
