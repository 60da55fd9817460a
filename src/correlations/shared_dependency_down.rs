//! `SharedDependencyDown`: see the declaration's documentation (printed by `ktriage explain shared-dependency-down`).

use std::collections::{BTreeMap, BTreeSet};

use super::{Correlation, SHARED_IMPACT, base_of, members};
use crate::cause::Cause;
use crate::finding::{ReportFinding, WorkloadName};
use crate::model::Cluster;
use crate::rules::{Evidence, EvidenceKind, best_hit, calibrated};
use crate::subjects::Subject;

declare_correlation! {
    /// ## What it detects
    /// One dependency that several workloads fail on: `dependency-unreachable` or `dns-failure` findings
    /// of two or more workloads whose logs name the same target, a Service (by name, FQDN or cluster IP)
    /// or a host outside the cluster.
    ///
    /// ## Why it crash-loops
    /// The dependency is down or unreachable, and each client exits instead of retrying: the loops end
    /// when it is back.
    ///
    /// ## Evidence
    /// - the log line of each failing workload naming the dependency
    /// - for a Service: its endpoints (none ready?) and the findings of its own pods
    /// - its score weighs the highest impact of the findings it explains by 1.3
    ///
    /// ## Remedy
    /// Bring the dependency back (its pods, its endpoints, its selector; for a host outside the cluster
    /// DNS, egress firewall, NetworkPolicy). Make the clients retry with back-off instead of exiting.
    ///
    /// ## Not covered
    /// A single workload failing on a dependency (that is its `dependency-unreachable` finding); failures
    /// that do not name their target in the log.
    pub(crate) static SHARED_DEPENDENCY_DOWN = {
        cause: SharedDependencyDown,
        summary: "several workloads fail on the same dependency; points at it",
        run: Some(shared_dependencies),
    };
}

/// Log causes whose `target` names a dependency.
const DEPENDENCY_CAUSES: &[Cause] = &[Cause::DependencyUnreachable, Cause::DnsFailure];

fn shared_dependencies(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &mut [ReportFinding],
    added: &mut Vec<ReportFinding>,
) {
    // target -> (finding index, subject, the target as written)
    let mut by_target: BTreeMap<Target, Vec<(usize, usize, String)>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if !DEPENDENCY_CAUSES.contains(&f.cause) {
            continue;
        }
        let Some((s, written)) = members(f, subjects).into_iter().find_map(|s| {
            let hit = best_hit(s, f.cause)?;
            Some((s, hit.target.clone()?))
        }) else {
            continue;
        };
        if let Some(t) = normalize_target(cluster, &f.namespace, &written) {
            by_target.entry(t).or_default().push((i, s.index, written));
        }
    }
    for (target, victims) in by_target {
        let workloads: BTreeSet<(&str, &WorkloadName)> = victims
            .iter()
            .map(|(i, _, _)| (findings[*i].namespace.as_str(), &findings[*i].workload))
            .collect();
        if workloads.len() < 2 {
            continue;
        }
        let c = shared_dependency(cluster, subjects, findings, &target, &victims);
        let note = format!(
            "part of shared-dependency-down: {} is unreachable",
            target.describe()
        );
        for (i, _, _) in &victims {
            if !findings[*i].notes.contains(&note) {
                findings[*i].notes.push(note.clone());
            }
        }
        added.push(c.build(cluster, findings));
    }
}

// ---------------------------------------------------------------------------------------------
// shared-dependency-down

/// A dependency as several workloads name it: a Service (namespace, name) or an external host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Service { namespace: String, name: String },
    Host(String),
}

impl Target {
    fn describe(&self) -> String {
        match self {
            Self::Service { namespace, name } => format!("`{name}` in `{namespace}`"),
            Self::Host(h) => format!("`{h}`"),
        }
    }
}

/// Normalizes a log target (`postgres:5432`, `postgres.shop`, `postgres.shop.svc.cluster.local`,
/// a Service's cluster IP) to the dependency it names.
fn normalize_target(cluster: &Cluster, ns: &str, target: &str) -> Option<Target> {
    let target = target.trim().trim_matches(['\'', '"']);
    let host = match target.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => target,
    };
    let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
    if host.is_empty() || host == "localhost" || host.starts_with("127.") || host == "::1" {
        return None;
    }
    if let Some(svc) = cluster
        .services
        .iter()
        .find(|s| s.spec.cluster_ip.as_deref() == Some(host.as_str()))
    {
        return Some(Target::Service {
            namespace: svc.metadata.namespace.clone(),
            name: svc.metadata.name.clone(),
        });
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Some(Target::Host(host));
    }
    let short = host
        .strip_suffix(".svc.cluster.local")
        .or_else(|| host.strip_suffix(".svc"))
        .unwrap_or(&host);
    let labels: Vec<&str> = short.split('.').collect();
    match labels.as_slice() {
        [name] => Some(Target::Service {
            namespace: ns.to_owned(),
            name: (*name).to_owned(),
        }),
        [name, namespace] => Some(Target::Service {
            namespace: (*namespace).to_owned(),
            name: (*name).to_owned(),
        }),
        _ => Some(Target::Host(host.clone())),
    }
}

fn shared_dependency(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &[ReportFinding],
    target: &Target,
    victims: &[(usize, usize, String)],
) -> Correlation {
    let mut explained: Vec<usize> = victims.iter().map(|(i, _, _)| *i).collect();
    explained.dedup();
    let mut names: Vec<String> = explained
        .iter()
        .map(|&i| format!("`{}`", findings[i].workload.name))
        .collect();
    names.dedup();
    let mut evidence = Vec::new();
    let mut remediation = Vec::new();
    let mut commands = Vec::new();
    let mut confidence: f64 = 0.9;
    let written: BTreeSet<&str> = victims.iter().map(|(_, _, w)| w.as_str()).collect();
    for (fi, si, _) in victims {
        let s = &subjects[*si];
        if let Some(hit) = best_hit(s, findings[*fi].cause) {
            evidence.push(Evidence::log_hit(s, hit));
        }
    }
    let (namespace, workload) = match target {
        Target::Service { namespace, name } => service_facts(
            cluster,
            subjects,
            findings,
            namespace,
            name,
            &mut Facts {
                evidence: &mut evidence,
                remediation: &mut remediation,
                commands: &mut commands,
                confidence: &mut confidence,
            },
        ),
        Target::Host(h) => {
            remediation.push(format!(
                "`{h}` is outside the cluster's Services: check it is up and reachable from the cluster (DNS, egress firewall, NetworkPolicy)"
            ));
            (
                findings[explained[0]].namespace.clone(),
                WorkloadName {
                    kind: "Host".to_owned(),
                    name: h.clone(),
                },
            )
        }
    };
    remediation.push(format!(
        "the failing workloads ({}) recover once it is back; make them retry with back-off instead of exiting",
        names.join(", ")
    ));
    let written: Vec<String> = written.iter().map(|w| format!("`{w}`")).collect();
    let base = explained
        .iter()
        .map(|&i| base_of(&findings[i]))
        .fold(0.0, f64::max)
        * SHARED_IMPACT;
    Correlation {
        cause: Cause::SharedDependencyDown,
        confidence: calibrated(confidence),
        base,
        title: format!(
            "dependency {} is unreachable for {} workloads ({}); they name it {}",
            target.describe(),
            names.len(),
            names.join(", "),
            written.join(", ")
        ),
        namespace,
        workload,
        container: String::new(),
        explained,
        evidence,
        remediation,
        commands,
        notes: Vec::new(),
    }
}

/// Where the evidence of a correlation goes while it is gathered.
struct Facts<'f> {
    evidence: &'f mut Vec<Evidence>,
    remediation: &'f mut Vec<String>,
    commands: &'f mut Vec<String>,
    confidence: &'f mut f64,
}

/// What the bundle shows about a dependency that is a Service: its endpoints and its own
/// failing pods. Returns the finding's namespace and workload.
fn service_facts(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &[ReportFinding],
    namespace: &String,
    name: &String,
    facts: &mut Facts<'_>,
) -> (String, WorkloadName) {
    let svc = cluster
        .services
        .iter()
        .find(|s| s.metadata.namespace == *namespace && s.metadata.name == *name);
    if let Some(ep) = cluster
        .endpoints
        .iter()
        .find(|e| e.metadata.namespace == *namespace && e.metadata.name == *name)
    {
        let ready = ep.ready_addresses();
        facts.evidence.insert(
            0,
            Evidence::new(
                EvidenceKind::Status,
                &ep.source,
                format!("endpoints {namespace}/{name}"),
                format!("{ready} ready addresses"),
            ),
        );
        if ready == 0 {
            *facts.confidence += 0.05;
            facts.remediation.push(format!(
                "Service `{name}` in `{namespace}` has no ready endpoints: bring its pods back first"
            ));
        }
        facts.commands.push(format!(
            "kubectl -n {namespace} get endpoints {name} -o wide"
        ));
    }
    if let Some(svc) = svc.filter(|s| !s.spec.selector.is_empty()) {
        let selector: Vec<String> = svc
            .spec
            .selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        facts.commands.push(format!(
            "kubectl -n {namespace} get pods -l {} -o wide",
            selector.join(",")
        ));
        // The dependency's own failing pods, if the bundle shows them.
        let own: Vec<&ReportFinding> = findings
            .iter()
            .filter(|f| {
                f.namespace == *namespace
                    && members(f, subjects).iter().any(|s| {
                        svc.spec
                            .selector
                            .iter()
                            .all(|(k, v)| s.pod.metadata.labels.get(k) == Some(v))
                    })
            })
            .collect();
        for f in own {
            *facts.confidence += 0.03;
            let (source, locator) = f.evidence.first().map_or_else(
                || {
                    (
                        format!("namespaces/{namespace}/pods.yaml"),
                        format!("{} {}", f.workload.kind, f.workload.name),
                    )
                },
                |e| (e.source.clone(), e.locator.clone()),
            );
            facts.evidence.insert(
                0,
                Evidence::new(
                    EvidenceKind::Status,
                    &source,
                    locator,
                    format!("the dependency's own pods fail: {} ({})", f.title, f.cause),
                ),
            );
            facts.remediation.insert(
                0,
                format!(
                    "fix {} `{}` first: {}",
                    f.workload.kind, f.workload.name, f.title
                ),
            );
        }
    } else if svc.is_none() {
        facts.remediation.push(format!(
            "the bundle has no Service `{name}` in `{namespace}`: check that it exists and that the name the apps use is right"
        ));
    }
    (
        namespace.clone(),
        WorkloadName {
            kind: "Service".to_owned(),
            name: name.clone(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Service;

    fn cluster_with_postgres() -> Cluster {
        let svc: Service = serde_yaml_ng::from_str(
            "metadata: {name: postgres, namespace: shop}\nspec: {clusterIP: 10.96.14.3}\n",
        )
        .expect("valid");
        Cluster {
            services: vec![svc],
            ..Cluster::default()
        }
    }

    #[test]
    fn targets_of_one_service_normalize_to_it() {
        let c = cluster_with_postgres();
        let postgres = Some(Target::Service {
            namespace: "shop".to_owned(),
            name: "postgres".to_owned(),
        });
        for written in [
            "postgres",
            "postgres:5432",
            "postgres.shop",
            "postgres.shop.svc:5432",
            "postgres.shop.svc.cluster.local",
            "10.96.14.3:5432",
            "'postgres.shop.svc'",
        ] {
            assert_eq!(normalize_target(&c, "shop", written), postgres, "{written}");
        }
        assert_eq!(
            normalize_target(&c, "billing", "postgres:5432"),
            Some(Target::Service {
                namespace: "billing".to_owned(),
                name: "postgres".to_owned(),
            }),
            "a short name resolves in the caller's namespace"
        );
        assert_eq!(
            normalize_target(&c, "shop", "db.example.com:5432"),
            Some(Target::Host("db.example.com".to_owned()))
        );
        assert_eq!(normalize_target(&c, "shop", "127.0.0.1:15000"), None);
        assert_eq!(normalize_target(&c, "shop", "localhost:8126"), None);
    }
}
