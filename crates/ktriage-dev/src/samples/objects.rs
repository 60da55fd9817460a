//! The Kubernetes objects of the samples: nodes, container specs, pods with kubelet-shaped
//! statuses, events, workload controllers, Services, ConfigMaps, Secrets, PVCs, and logs.

use std::rc::Rc;

use super::value::{M, V, l, m};
use super::{
    Bundle, Flavor, Node, count, epoch, go_duration, hexid, int, iso, iso_micro, iso_ms, make_uid,
    mf, p, render_log, safe, unit,
};

pub(crate) const HELM: &str = "helm";

// ------------------------------------------------------------------------------------------
// Nodes, per cloud flavour

pub(crate) struct NodeSpec<'a> {
    pub(crate) name: &'a str,
    pub(crate) arch: &'a str,
    pub(crate) zone: &'a str,
    pub(crate) ip: &'a str,
    pub(crate) pod_cidr: &'a str,
    pub(crate) instance: &'a str,
    pub(crate) created: f64,
    pub(crate) cpu: i64,
    pub(crate) mem_ki: i64,
}

impl Default for NodeSpec<'_> {
    fn default() -> Self {
        NodeSpec {
            name: "",
            arch: "amd64",
            zone: "",
            ip: "",
            pod_cidr: "",
            instance: "",
            created: 0.0,
            cpu: 2,
            mem_ki: 8_024_392,
        }
    }
}

pub(crate) fn add_node(b: &mut Bundle, n: &NodeSpec<'_>) -> String {
    let (name, arch, zone, ip, instance, created) =
        (n.name, n.arch, n.zone, n.ip, n.instance, n.created);
    let cluster = b.cluster.clone();
    let region = b.region.clone();
    let mut kernel = match b.flavor {
        Flavor::Eks => "6.1.112-122.189.amzn2023",
        Flavor::Gke => "6.1.100+",
        Flavor::Aks => "5.15.0-1074-azure",
        Flavor::Kubeadm => "6.8.0-48-generic",
    }
    .to_owned();
    if b.flavor == Flavor::Eks {
        kernel += if arch == "amd64" {
            ".x86_64"
        } else {
            ".aarch64"
        };
    }
    let os_image = match b.flavor {
        Flavor::Eks => "Amazon Linux 2023.6.20241031",
        Flavor::Gke => "Container-Optimized OS from Google",
        Flavor::Aks => "Ubuntu 22.04.5 LTS",
        Flavor::Kubeadm => "Ubuntu 24.04.1 LTS",
    };
    let kubelet = match b.flavor {
        Flavor::Eks => "v1.31.2-eks-94953ac".to_owned(),
        Flavor::Gke => b.server_version.clone(),
        _ => "v1.31.2".to_owned(),
    };
    let mut labels = m! {
        "beta.kubernetes.io/arch" => arch,
        "beta.kubernetes.io/os" => "linux",
        "kubernetes.io/arch" => arch,
        "kubernetes.io/hostname" => name,
        "kubernetes.io/os" => "linux",
    };
    let mut annotations = m! {
        "node.alpha.kubernetes.io/ttl" => "0",
        "volumes.kubernetes.io/controller-managed-attach-detach" => "true",
    };
    let mut spec = m! { "podCIDR" => n.pod_cidr, "podCIDRs" => l![n.pod_cidr] };
    let topology = |labels: &mut M| {
        labels.set("failure-domain.beta.kubernetes.io/region", &region);
        labels.set("failure-domain.beta.kubernetes.io/zone", zone);
        labels.set("node.kubernetes.io/instance-type", instance);
        labels.set("topology.kubernetes.io/region", &region);
        labels.set("topology.kubernetes.io/zone", zone);
    };
    match b.flavor {
        Flavor::Eks => {
            labels.set("beta.kubernetes.io/instance-type", instance);
            labels.set("eks.amazonaws.com/capacityType", "ON_DEMAND");
            labels.set("eks.amazonaws.com/nodegroup", format!("general-{arch}"));
            labels.set(
                "eks.amazonaws.com/nodegroup-image",
                format!("ami-0{}", hexid(p![&cluster, arch, "ami"], 16)),
            );
            labels.set(
                "k8s.io/cloud-provider-aws",
                hexid(p![&cluster, "cpaws"], 32),
            );
            topology(&mut labels);
            annotations.set("alpha.kubernetes.io/provided-node-ip", ip);
            spec = m! {
                "providerID" => format!("aws:///{zone}/i-0{}", hexid(p![&cluster, name, "i"], 16)),
            };
        }
        Flavor::Gke => {
            labels.set("beta.kubernetes.io/instance-type", instance);
            labels.set("cloud.google.com/gke-boot-disk", "pd-balanced");
            labels.set("cloud.google.com/gke-container-runtime", "containerd");
            labels.set("cloud.google.com/gke-nodepool", "default-pool");
            labels.set("cloud.google.com/gke-os-distribution", "cos");
            labels.set(
                "cloud.google.com/machine-family",
                instance.split('-').next().unwrap_or(""),
            );
            topology(&mut labels);
            annotations.set(
                "container.googleapis.com/instance_id",
                (1_000_000_000_000_000_000 + int(unit(p![&cluster, name, "gce"]) * 8e18))
                    .to_string(),
            );
            spec.set("providerID", format!("gce://acme-shop/{zone}/{name}"));
        }
        Flavor::Aks => {
            labels.set("agentpool", "nodepool1");
            labels.set("beta.kubernetes.io/instance-type", instance);
            labels.set("kubernetes.azure.com/agentpool", "nodepool1");
            labels.set(
                "kubernetes.azure.com/cluster",
                format!("MC_rg-{cluster}_{cluster}_{region}"),
            );
            labels.set("kubernetes.azure.com/mode", "system");
            labels.set(
                "kubernetes.azure.com/node-image-version",
                "AKSUbuntu-2204gen2containerd-202411.03.0",
            );
            labels.set("kubernetes.azure.com/os-sku", "Ubuntu");
            topology(&mut labels);
            let idx = &name[name.len() - 1..];
            spec.set(
                "providerID",
                format!(
                    "azure:///subscriptions/{}/resourceGroups/mc_rg-{cluster}_{cluster}_{region}/providers/Microsoft.Compute/virtualMachineScaleSets/{}/virtualMachines/{idx}",
                    make_uid(p!["sub", &cluster]),
                    &name[..name.len() - 6]
                ),
            );
        }
        Flavor::Kubeadm => {
            let mac = hexid(p![&cluster, name, "mac"], 12);
            let mac: Vec<&str> = (0..12).step_by(2).map(|i| &mac[i..i + 2]).collect();
            annotations.set(
                "flannel.alpha.coreos.com/backend-data",
                format!("{{\"VNI\":1,\"VtepMAC\":\"{}\"}}", mac.join(":")),
            );
            annotations.set("flannel.alpha.coreos.com/backend-type", "vxlan");
            annotations.set("flannel.alpha.coreos.com/kube-subnet-manager", "true");
            annotations.set("flannel.alpha.coreos.com/public-ip", ip);
            annotations.set(
                "kubeadm.alpha.kubernetes.io/cri-socket",
                "unix:///var/run/containerd/containerd.sock",
            );
        }
    }
    let pods = match b.flavor {
        Flavor::Eks => "29",
        Flavor::Aks => "30",
        Flavor::Gke | Flavor::Kubeadm => "110",
    };
    let disk_ki: i64 = 101_430_960;
    let cpu = n.cpu;
    let cpu_alloc = if b.flavor == Flavor::Kubeadm {
        cpu.to_string()
    } else {
        format!("{}m", cpu * 1000 - 70 - 10 * cpu)
    };
    let hb = b.t - 7.0 - int(unit(p![&cluster, name, "hb"]) * 40.0) as f64;
    let cond = |typ: &str, status: &str, reason: &str, msg: &str, since: f64| {
        m! {
            "lastHeartbeatTime" => iso(hb),
            "lastTransitionTime" => iso(since),
            "message" => msg,
            "reason" => reason,
            "status" => status,
            "type" => typ,
        }
    };
    let mut conditions = Vec::new();
    if b.flavor == Flavor::Kubeadm {
        conditions.push(m! {
            "lastHeartbeatTime" => iso(created + 31.0),
            "lastTransitionTime" => iso(created + 31.0),
            "message" => "Flannel is running on this node",
            "reason" => "FlannelIsUp",
            "status" => "False",
            "type" => "NetworkUnavailable",
        });
    }
    conditions.extend([
        cond(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
            created,
        ),
        cond(
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
            created,
        ),
        cond(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
            created,
        ),
        cond(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
            created + 24.0,
        ),
    ]);
    let mut addresses = vec![m! { "address" => ip, "type" => "InternalIP" }];
    if b.flavor == Flavor::Eks {
        addresses.push(m! { "address" => name, "type" => "InternalDNS" });
    }
    addresses.push(m! { "address" => name, "type" => "Hostname" });
    let sys_uid = make_uid(p![&cluster, name, "sys"]);
    let system_uuid = if b.flavor == Flavor::Eks {
        format!(
            "ec2{}-{}",
            hexid(p![&cluster, name, "sys"], 5),
            &sys_uid[9..]
        )
    } else {
        sys_uid
    };
    let features = || m! { "recursiveReadOnlyMounts" => true, "userNamespaces" => true };
    let status = m! {
        "addresses" => addresses,
        "allocatable" => m! {
            "cpu" => cpu_alloc,
            "ephemeral-storage" => int(disk_ki as f64 * 1024.0 * 0.9).to_string(),
            "hugepages-1Gi" => "0",
            "hugepages-2Mi" => "0",
            "memory" => format!("{}Ki", n.mem_ki - 720_000),
            "pods" => pods,
        },
        "capacity" => m! {
            "cpu" => cpu.to_string(),
            "ephemeral-storage" => format!("{disk_ki}Ki"),
            "hugepages-1Gi" => "0",
            "hugepages-2Mi" => "0",
            "memory" => format!("{}Ki", n.mem_ki),
            "pods" => pods,
        },
        "conditions" => conditions,
        "daemonEndpoints" => m! { "kubeletEndpoint" => m! { "Port" => 10250 } },
        "nodeInfo" => m! {
            "architecture" => arch,
            "bootID" => make_uid(p![&cluster, name, "boot"]),
            "containerRuntimeVersion" => "containerd://1.7.22",
            "kernelVersion" => kernel,
            "kubeProxyVersion" => &kubelet,
            "kubeletVersion" => &kubelet,
            "machineID" => hexid(p![&cluster, name, "machine"], 32),
            "operatingSystem" => "linux",
            "osImage" => os_image,
            "systemUUID" => system_uuid,
        },
        "runtimeHandlers" => vec![
            m! { "features" => features(), "name" => "runc" },
            m! { "features" => features(), "name" => "" },
        ],
    };
    let mut meta = m! {
        "annotations" => &annotations,
        "creationTimestamp" => iso(created),
        "labels" => &labels,
        "name" => name,
        "resourceVersion" => b.rv(b.t - 20.0, p!["node", name]),
        "uid" => b.uid(p!["node", name]),
    };
    meta.set(
        "managedFields",
        vec![
            mf(
                "kubelet",
                created,
                &m! { "metadata" => m! {
                    "annotations" => annotations.pick(&[
                        "volumes.kubernetes.io/controller-managed-attach-detach",
                        "alpha.kubernetes.io/provided-node-ip",
                    ]),
                    "labels" => &labels,
                } },
                "v1",
                None,
            ),
            mf(
                "kube-controller-manager",
                created + 2.0,
                &m! {
                    "metadata" => m! { "annotations" => annotations.pick(&["node.alpha.kubernetes.io/ttl"]) },
                    "spec" => spec.pick(&["podCIDR", "podCIDRs"]),
                },
                "v1",
                None,
            ),
            mf(
                "kubelet",
                hb,
                &m! { "status" => status.pick(&[
                    "allocatable", "capacity", "conditions", "daemonEndpoints", "images",
                    "nodeInfo", "runtimeHandlers",
                ]) },
                "v1",
                Some("status"),
            ),
        ],
    );
    let obj = m! {
        "apiVersion" => "v1",
        "kind" => "Node",
        "metadata" => meta,
        "spec" => spec,
        "status" => status,
    };
    let prefix = format!("{}.", n.pod_cidr.rsplit_once('.').map_or("", |(a, _)| a));
    b.nodes.insert(
        name.to_owned(),
        Node {
            obj,
            ip: ip.to_owned(),
            pod_prefix: prefix,
        },
    );
    let pause = match b.flavor {
        Flavor::Eks => format!(
            "602401143452.dkr.ecr.{}.amazonaws.com/eks/pause",
            if region.is_empty() {
                "us-east-1"
            } else {
                &region
            }
        ),
        Flavor::Gke => "gke.gcr.io/pause".to_owned(),
        Flavor::Aks => "mcr.microsoft.com/oss/kubernetes/pause".to_owned(),
        Flavor::Kubeadm => "registry.k8s.io/pause".to_owned(),
    };
    b.node_images.insert(
        name.to_owned(),
        vec![m! {
            "names" => l![
                format!("{pause}@sha256:{}", hexid(p!["img", &pause], 64)),
                format!("{pause}:3.10"),
            ],
            "sizeBytes" => 320_368,
        }],
    );
    name.to_owned()
}

pub(crate) fn normalize_image(image: &str) -> String {
    let first = image.split('/').next().unwrap_or("");
    if !image.contains('/') {
        format!("docker.io/library/{image}")
    } else if !first.contains('.') && !first.contains(':') && first != "localhost" {
        format!("docker.io/{image}")
    } else {
        image.to_owned()
    }
}

fn repo_of(full: &str) -> &str {
    full.rsplit_once(':').map_or(full, |(repo, _)| repo)
}

pub(crate) fn image_id(image: &str) -> String {
    let full = normalize_image(image);
    format!("{}@sha256:{}", repo_of(&full), hexid(p!["img", &full], 64))
}

fn note_image(b: &mut Bundle, node: &str, image: &str) {
    let full = normalize_image(image);
    let size = 2_000_000 + int(unit(p!["size", &full]) * 180_000_000.0);
    let entry = m! {
        "names" => l![format!("{}@sha256:{}", repo_of(&full), hexid(p!["img", &full], 64)), &full],
        "sizeBytes" => size,
    };
    let images = b.node_images.get_mut(node).expect("a known node");
    if !images.contains(&entry) {
        let at = images.len() - 1;
        images.insert(at, entry);
        images.sort_by_key(|e| match e.get("sizeBytes") {
            Some(V::Int(s)) => -s,
            _ => 0,
        });
    }
}

// ------------------------------------------------------------------------------------------
// Container and pod specs

pub(crate) enum Src<'a> {
    Secret(&'a str, &'a str),
    Field(&'a str),
}

/// An env var with a literal value; the collector replaces values of sensitive-looking names
/// (docs/design.md section 2).
pub(crate) fn env(name: &str, value: &str) -> M {
    let lower = name.to_ascii_lowercase();
    let sensitive = [
        "password",
        "passwd",
        "secret",
        "token",
        "key",
        "credential",
        "auth",
    ]
    .iter()
    .any(|w| lower.contains(w));
    m! { "name" => name, "value" => if sensitive { "<redacted>" } else { value } }
}

pub(crate) fn env_from(name: &str, from: &Src<'_>) -> M {
    let value_from = match from {
        Src::Secret(secret, key) => {
            m! { "secretKeyRef" => m! { "key" => *key, "name" => *secret } }
        }
        Src::Field(path) => {
            m! { "fieldRef" => m! { "apiVersion" => "v1", "fieldPath" => *path } }
        }
    };
    m! { "name" => name, "valueFrom" => value_from }
}

/// A probe's timing: `initialDelaySeconds` (0: unset), period, timeout, failure threshold.
#[derive(Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) initial: i64,
    pub(crate) period: i64,
    pub(crate) timeout: i64,
    pub(crate) failure: i64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            initial: 0,
            period: 10,
            timeout: 1,
            failure: 3,
        }
    }
}

/// `initialDelaySeconds` and `periodSeconds`, the rest default.
pub(crate) fn every(initial: i64, period: i64) -> Timing {
    Timing {
        initial,
        period,
        ..Timing::default()
    }
}

fn probe(action: &str, body: M, t: Timing) -> M {
    let mut p = m! {
        action => body,
        "failureThreshold" => t.failure,
        "periodSeconds" => t.period,
        "successThreshold" => 1,
        "timeoutSeconds" => t.timeout,
    };
    if t.initial != 0 {
        p.set("initialDelaySeconds", t.initial);
    }
    p
}

pub(crate) fn http_probe(path: &str, port: impl Into<V>, t: Timing) -> M {
    probe(
        "httpGet",
        m! { "path" => path, "port" => port.into(), "scheme" => "HTTP" },
        t,
    )
}

pub(crate) fn exec_probe(command: &[&str], t: Timing) -> M {
    probe("exec", m! { "command" => command.to_vec() }, t)
}

pub(crate) fn tcp_probe(port: impl Into<V>, t: Timing) -> M {
    probe("tcpSocket", m! { "port" => port.into() }, t)
}

/// Resources: requests and limits of cpu and memory, each optional.
pub(crate) fn res(
    req_cpu: Option<&str>,
    req_mem: Option<&str>,
    lim_cpu: Option<&str>,
    lim_mem: Option<&str>,
) -> M {
    let pair = |cpu: Option<&str>, mem: Option<&str>| {
        let mut out = M::new();
        if let Some(cpu) = cpu {
            out.set("cpu", cpu);
        }
        if let Some(mem) = mem {
            out.set("memory", mem);
        }
        out
    };
    let (lim, req) = (pair(lim_cpu, lim_mem), pair(req_cpu, req_mem));
    let mut r = M::new();
    if !lim.is_empty() {
        r.set("limits", lim);
    }
    if !req.is_empty() {
        r.set("requests", req);
    }
    r
}

pub(crate) struct Ctr<'a> {
    pub(crate) name: &'a str,
    pub(crate) image: &'a str,
    pub(crate) command: Vec<&'a str>,
    pub(crate) args: Vec<&'a str>,
    pub(crate) env: Vec<M>,
    pub(crate) ports: Vec<(&'a str, i64)>,
    pub(crate) resources: M,
    pub(crate) liveness: Option<M>,
    pub(crate) readiness: Option<M>,
    pub(crate) mounts: Vec<M>,
    pub(crate) message_policy: &'a str,
    pub(crate) security: Option<M>,
}

impl Default for Ctr<'_> {
    fn default() -> Self {
        Ctr {
            name: "",
            image: "",
            command: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
            ports: Vec::new(),
            resources: M::new(),
            liveness: None,
            readiness: None,
            mounts: Vec::new(),
            message_policy: "File",
            security: None,
        }
    }
}

pub(crate) fn container(c: Ctr<'_>) -> M {
    let mut out = m! {
        "image" => c.image,
        "imagePullPolicy" => "IfNotPresent",
        "name" => c.name,
        "resources" => c.resources,
        "terminationMessagePath" => "/dev/termination-log",
        "terminationMessagePolicy" => c.message_policy,
    };
    if !c.command.is_empty() {
        out.set("command", c.command);
    }
    if !c.args.is_empty() {
        out.set("args", c.args);
    }
    if !c.env.is_empty() {
        out.set("env", c.env);
    }
    if !c.ports.is_empty() {
        let ports: Vec<M> = c
            .ports
            .iter()
            .map(|(n, p)| m! { "containerPort" => *p, "name" => *n, "protocol" => "TCP" })
            .collect();
        out.set("ports", ports);
    }
    if let Some(p) = c.liveness {
        out.set("livenessProbe", p);
    }
    if let Some(p) = c.readiness {
        out.set("readinessProbe", p);
    }
    if !c.mounts.is_empty() {
        out.set("volumeMounts", c.mounts);
    }
    if let Some(s) = c.security {
        out.set("securityContext", s);
    }
    out
}

pub(crate) fn mount(name: &str, path: &str, read_only: bool) -> M {
    let mut m = m! { "mountPath" => path, "name" => name };
    if read_only {
        m.set("readOnly", true);
    }
    m
}

pub(crate) struct Tmpl<'a> {
    pub(crate) containers: Vec<M>,
    pub(crate) init: Vec<M>,
    pub(crate) volumes: Vec<M>,
    pub(crate) sa: Option<&'a str>,
    pub(crate) restart: &'a str,
    pub(crate) grace: i64,
    pub(crate) security: M,
    pub(crate) extra: M,
}

impl Default for Tmpl<'_> {
    fn default() -> Self {
        Tmpl {
            containers: Vec::new(),
            init: Vec::new(),
            volumes: Vec::new(),
            sa: None,
            restart: "Always",
            grace: 30,
            security: M::new(),
            extra: M::new(),
        }
    }
}

pub(crate) fn pod_template_spec(t: Tmpl<'_>) -> M {
    let mut s = m! {
        "containers" => t.containers,
        "dnsPolicy" => "ClusterFirst",
        "restartPolicy" => t.restart,
        "schedulerName" => "default-scheduler",
        "securityContext" => t.security,
        "terminationGracePeriodSeconds" => t.grace,
    };
    if !t.init.is_empty() {
        s.set("initContainers", t.init);
    }
    if !t.volumes.is_empty() {
        s.set("volumes", t.volumes);
    }
    if let Some(sa) = t.sa {
        s.set("serviceAccount", sa);
        s.set("serviceAccountName", sa);
    }
    for (k, v) in t.extra.0 {
        s.set(&k, v);
    }
    s
}

fn api_access_volume(name: &str) -> M {
    m! {
        "name" => name,
        "projected" => m! {
            "defaultMode" => 420,
            "sources" => l![
                m! { "serviceAccountToken" => m! { "expirationSeconds" => 3607, "path" => "token" } },
                m! { "configMap" => m! {
                    "items" => l![m! { "key" => "ca.crt", "path" => "ca.crt" }],
                    "name" => "kube-root-ca.crt",
                } },
                m! { "downwardAPI" => m! { "items" => l![m! {
                    "fieldRef" => m! { "apiVersion" => "v1", "fieldPath" => "metadata.namespace" },
                    "path" => "namespace",
                }] } },
            ],
        },
    }
}

fn toleration(effect: &str, key: &str, seconds: Option<i64>) -> M {
    let mut t = m! { "effect" => effect, "key" => key, "operator" => "Exists" };
    if let Some(s) = seconds {
        t.set("tolerationSeconds", s);
    }
    t
}

fn default_tolerations() -> Vec<V> {
    vec![
        V::Map(toleration(
            "NoExecute",
            "node.kubernetes.io/not-ready",
            Some(300),
        )),
        V::Map(toleration(
            "NoExecute",
            "node.kubernetes.io/unreachable",
            Some(300),
        )),
    ]
}

fn daemonset_tolerations() -> Vec<V> {
    [
        ("NoExecute", "not-ready"),
        ("NoExecute", "unreachable"),
        ("NoSchedule", "disk-pressure"),
        ("NoSchedule", "memory-pressure"),
        ("NoSchedule", "pid-pressure"),
        ("NoSchedule", "unschedulable"),
    ]
    .iter()
    .map(|(effect, key)| {
        V::Map(toleration(
            effect,
            &format!("node.kubernetes.io/{key}"),
            None,
        ))
    })
    .collect()
}

// ------------------------------------------------------------------------------------------
// Container timelines (what the kubelet would have done)

/// Instances of one container: `(start, finish)` of each terminated one, then running or
/// waiting.
pub(crate) struct Timeline {
    pub(crate) instances: Vec<(f64, f64)>,
    pub(crate) waiting: bool,
    pub(crate) current_start: f64,
    pub(crate) backoff: i64,
    pub(crate) waits: Vec<(f64, f64)>,
}

impl Timeline {
    pub(crate) fn restarts(&self) -> i64 {
        count(self.instances.len()) - i64::from(self.waiting)
    }

    pub(crate) fn starts(&self) -> Vec<f64> {
        let mut s: Vec<f64> = self.instances.iter().map(|i| i.0).collect();
        if !self.waiting {
            s.push(self.current_start);
        }
        s
    }
}

/// A container in CrashLoopBackOff at `t` after `restarts` restarts, its last instance having
/// exited `ago` seconds before, instance k having run runtime(k) seconds. Built backwards.
///
/// pkg/kubelet/kuberuntime doBackOff + client-go flowcontrol.Backoff(10s, 5m): the first crash
/// restarts at once and arms a 10s back-off; each later crash waits the current back-off, then
/// doubles it (cap 5m). So after R restarts `waiting.message` says back-off
/// min(5m, 10s * 2^(R-1)).
pub(crate) fn crash_loop(
    t: f64,
    restarts: i64,
    ago: f64,
    runtime: &dyn Fn(i64) -> f64,
    salt: &str,
) -> Timeline {
    let backoff_of = |n: i64| 300.min(10 * 2i64.pow(u32::try_from(n).expect("small")));
    let backoff = backoff_of(restarts - 1);
    assert!(restarts >= 1 && ago < backoff as f64, "{restarts} {ago}");
    let mut finish = t - ago;
    let mut instances = Vec::new();
    let mut waits = vec![(finish, t)];
    for k in (1..=restarts + 1).rev() {
        let rt = runtime(k);
        if rt < 1.0 && int(finish - rt) != int(finish) {
            finish = int(finish) as f64 + rt + 0.002; // keep sub-second runs inside one second
        }
        let start = finish - rt;
        instances.push((start, finish));
        if k > 1 {
            let crash = k - 1; // the failure before instance k
            let wait = if crash == 1 { 0 } else { backoff_of(crash - 2) };
            finish = start - (0.6 + unit(p![salt, "sync", crash]) * 1.4) - wait as f64;
            if wait != 0 {
                waits.push((finish, finish + wait as f64));
            }
        }
    }
    instances.reverse();
    waits.reverse();
    Timeline {
        instances,
        waiting: true,
        current_start: 0.0,
        backoff,
        waits,
    }
}

/// A container that dies after running for more than 10 minutes each time: the kubelet's
/// back-off entry has expired by then, so every restart is immediate and the container is
/// rarely seen waiting. Built backwards from the last termination.
pub(crate) fn long_runs(
    last_finish: f64,
    restarts: i64,
    runtime: &dyn Fn(i64) -> f64,
    salt: &str,
) -> Timeline {
    let mut instances = Vec::new();
    let mut finish = last_finish;
    for k in (1..=restarts).rev() {
        let start = finish - runtime(k);
        instances.push((start, finish));
        finish = start - (0.6 + unit(p![salt, "sync", k]) * 1.4);
    }
    instances.reverse();
    Timeline {
        instances,
        waiting: false,
        current_start: last_finish + 0.6 + unit(p![salt, "last"]) * 1.4,
        backoff: 0,
        waits: Vec::new(),
    }
}

pub(crate) type Lines = Vec<(f64, String)>;

/// A container restarting in place.
pub(crate) struct Loop {
    pub(crate) timeline: Timeline,
    pub(crate) reason: &'static str,
    pub(crate) exit_code: i64,
    pub(crate) message: Option<Box<dyn Fn(f64, f64) -> String>>,
    pub(crate) logs: Box<dyn Fn(f64, f64) -> Lines>,
}

/// What the kubelet reports of one container.
#[derive(Clone)]
pub(crate) enum St {
    Running {
        started: f64,
        restarts: i64,
        last: Option<M>,
    },
    Loop(Rc<Loop>),
    /// An app container waiting for init containers.
    Initializing,
    Done {
        started: f64,
        finished: f64,
    },
}

pub(crate) fn running(started: f64) -> St {
    St::Running {
        started,
        restarts: 0,
        last: None,
    }
}

fn cid(b: &Bundle, pod: &str, cname: &str, k: i64) -> String {
    format!("containerd://{}", hexid(p![&b.cluster, pod, cname, k], 64))
}

#[allow(clippy::too_many_arguments)]
fn term(
    b: &Bundle,
    pod: &str,
    cname: &str,
    k: i64,
    start: f64,
    finish: f64,
    reason: &str,
    code: i64,
    message: Option<String>,
) -> M {
    let mut t = m! {
        "containerID" => cid(b, pod, cname, k),
        "exitCode" => code,
        "finishedAt" => iso(finish),
        "reason" => reason,
        "startedAt" => iso(start),
    };
    if let Some(msg) = message.filter(|m| !m.is_empty()) {
        t.set("message", msg);
    }
    t
}

fn status_mounts(c: &M) -> Vec<M> {
    c.list("volumeMounts")
        .iter()
        .map(|m| {
            let m = m.map();
            let mut s = m! { "mountPath" => m.str("mountPath"), "name" => m.str("name") };
            if m.get("readOnly") == Some(&V::Bool(true)) {
                s.set("readOnly", true);
                s.set("recursiveReadOnly", "Disabled");
            }
            s
        })
        .collect()
}

fn container_status(b: &Bundle, pod: &str, c: &M, st: &St, ready: bool) -> M {
    let (name, image) = (c.str("name"), c.str("image"));
    let mut s = m! {
        "image" => normalize_image(image),
        "imageID" => image_id(image),
        "name" => name,
    };
    match st {
        St::Running {
            started,
            restarts,
            last,
        } => {
            s.set("containerID", cid(b, pod, name, *restarts));
            s.set("lastState", M::new());
            s.set("ready", ready);
            s.set("restartCount", *restarts);
            s.set("started", true);
            s.set(
                "state",
                m! { "running" => m! { "startedAt" => iso(*started) } },
            );
            if let Some(last) = last {
                s.set("lastState", m! { "terminated" => last });
            }
        }
        St::Loop(lp) => {
            let tl = &lp.timeline;
            let n = count(tl.instances.len());
            let (start, finish) = tl.instances[tl.instances.len() - 1];
            let message = lp.message.as_ref().map(|f| f(start, finish));
            let last = term(
                b,
                pod,
                name,
                n - 1,
                start,
                finish,
                lp.reason,
                lp.exit_code,
                message,
            );
            let last_id = last.str("containerID").to_owned();
            s.set("lastState", m! { "terminated" => last });
            s.set("restartCount", tl.restarts());
            if tl.waiting {
                s.set("containerID", last_id);
                s.set("ready", false);
                s.set("started", false);
                s.set(
                    "state",
                    m! { "waiting" => m! {
                        "message" => format!(
                            "back-off {} restarting failed container={name} pod={pod}_{}({})",
                            go_duration(tl.backoff),
                            b.pod_ns[pod],
                            b.pod_uid[pod]
                        ),
                        "reason" => "CrashLoopBackOff",
                    } },
                );
            } else {
                s.set("containerID", cid(b, pod, name, n));
                s.set("ready", ready);
                s.set("started", true);
                s.set(
                    "state",
                    m! { "running" => m! { "startedAt" => iso(tl.current_start) } },
                );
            }
        }
        St::Initializing => {
            s.set("imageID", "");
            s.set("lastState", M::new());
            s.set("ready", false);
            s.set("restartCount", 0);
            s.set("started", false);
            s.set(
                "state",
                m! { "waiting" => m! { "reason" => "PodInitializing" } },
            );
            return s;
        }
        St::Done { started, finished } => {
            s.set("containerID", cid(b, pod, name, 0));
            s.set("lastState", M::new());
            s.set("ready", false);
            s.set("restartCount", 0);
            s.set("started", false);
            s.set(
                "state",
                m! { "terminated" => term(b, pod, name, 0, *started, *finished, "Completed", 0, None) },
            );
        }
    }
    s.set("volumeMounts", status_mounts(c));
    s
}

fn cond(typ: &str, status: &str, t: f64, reason: Option<&str>, message: Option<String>) -> M {
    let mut c = m! {
        "lastProbeTime" => V::Null,
        "lastTransitionTime" => iso(t),
        "status" => status,
        "type" => typ,
    };
    if let Some(r) = reason {
        c.set("reason", r);
    }
    if let Some(msg) = message {
        c.set("message", msg);
    }
    c
}

pub(crate) type Statuses = Vec<(String, St)>;

fn status_of<'s>(statuses: &'s Statuses, name: &str) -> &'s St {
    &statuses
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no status for `{name}`"))
        .1
}

/// One container state per name.
pub(crate) fn statuses(items: Vec<(&str, St)>) -> Statuses {
    items.into_iter().map(|(n, s)| (n.to_owned(), s)).collect()
}

pub(crate) struct PodArgs<'a> {
    pub(crate) owner: (&'a str, &'a str, &'a str),
    pub(crate) labels: M,
    pub(crate) spec: &'a M,
    pub(crate) node: &'a str,
    pub(crate) created: f64,
    pub(crate) statuses: &'a Statuses,
    pub(crate) init_statuses: &'a Statuses,
    pub(crate) annotations: Option<&'a M>,
    pub(crate) ready_since: Option<f64>,
    pub(crate) generate_name: Option<String>,
    pub(crate) phase: Option<&'a str>,
    pub(crate) status_changed: Option<f64>,
    pub(crate) finished: Option<f64>,
}

fn spec_containers(spec: &M) -> impl Iterator<Item = &M> {
    spec.list("initContainers")
        .iter()
        .chain(spec.list("containers"))
        .map(V::map)
}

/// A Pod the way the API returns it after admission, scheduling and kubelet updates.
pub(crate) fn make_pod(b: &mut Bundle, ns: &str, name: &str, a: &PodArgs<'_>) -> M {
    let uid = b.uid(p!["pod", ns, name]);
    b.pod_ns.insert(name.to_owned(), ns.to_owned());
    b.pod_uid.insert(name.to_owned(), uid.clone());
    let mut spec = a.spec.clone();
    let sa = match spec.get("serviceAccountName") {
        Some(V::Str(s)) => s.clone(),
        _ => "default".to_owned(),
    };
    let vol = format!("kube-api-access-{}", safe(5, p![&b.cluster, name, "kaa"]));
    for key in ["initContainers", "containers"] {
        if let Some(V::List(cs)) = spec.get_mut(key) {
            for c in cs {
                c.map_mut().list_mut("volumeMounts").push(V::Map(m! {
                    "mountPath" => "/var/run/secrets/kubernetes.io/serviceaccount",
                    "name" => &vol,
                    "readOnly" => true,
                }));
            }
        }
    }
    spec.list_mut("volumes")
        .push(V::Map(api_access_volume(&vol)));
    spec.set("enableServiceLinks", true);
    spec.set("nodeName", a.node);
    spec.set("preemptionPolicy", "PreemptLowerPriority");
    spec.set("priority", 0);
    spec.set("serviceAccount", &sa);
    spec.set("serviceAccountName", &sa);
    if a.owner.0 != "DaemonSet" {
        spec.list_mut("tolerations").extend(default_tolerations());
    }
    if spec.list("tolerations").is_empty() {
        spec.remove("tolerations");
    }
    let start = a.created + 1.0;
    let host_ip = b.nodes[a.node].ip.clone();
    let ip = if spec.get("hostNetwork").is_some_and(V::truthy) {
        host_ip.clone()
    } else {
        b.pod_ip(a.node)
    };

    let init_specs: Vec<M> = spec
        .list("initContainers")
        .iter()
        .map(|c| c.map().clone())
        .collect();
    let mut cstat = Vec::new();
    for c in spec.list("containers").iter().map(V::map) {
        let st = status_of(a.statuses, c.str("name"));
        let r =
            matches!(st, St::Running { .. }) || matches!(st, St::Loop(lp) if !lp.timeline.waiting);
        cstat.push(container_status(b, name, c, st, r));
    }
    let mut istat: Vec<M> = init_specs
        .iter()
        .map(|c| container_status(b, name, c, status_of(a.init_statuses, c.str("name")), false))
        .collect();
    for c in &init_specs {
        if matches!(status_of(a.init_statuses, c.str("name")), St::Done { .. }) {
            for s in &mut istat {
                if s.str("name") == c.str("name") {
                    s.set("ready", true);
                }
            }
        }
    }
    let images: Vec<String> = spec_containers(&spec)
        .map(|c| c.str("image").to_owned())
        .collect();
    for image in images {
        note_image(b, a.node, &image);
    }

    let initialized = init_specs
        .iter()
        .all(|c| matches!(status_of(a.init_statuses, c.str("name")), St::Done { .. }));
    let init_done = init_specs
        .iter()
        .filter_map(|c| match status_of(a.init_statuses, c.str("name")) {
            St::Done { finished, .. } => Some(*finished),
            _ => None,
        })
        .reduce(f64::max)
        .unwrap_or(start + 1.0);
    let not_ready: Vec<&str> = spec
        .list("containers")
        .iter()
        .zip(&cstat)
        .filter(|(_, s)| s.get("ready") != Some(&V::Bool(true)))
        .map(|(c, _)| c.map().str("name"))
        .collect();
    let succeeded = a.phase == Some("Succeeded");
    let finished = a.finished.unwrap_or(0.0);
    let mut conds = vec![cond(
        "PodReadyToStartContainers",
        if succeeded { "False" } else { "True" },
        if succeeded {
            finished + 1.0
        } else {
            start + 1.0
        },
        None,
        None,
    )];
    if initialized {
        let t = if init_specs.is_empty() {
            start
        } else {
            init_done + 1.0
        };
        conds.push(cond("Initialized", "True", t, None, None));
    } else {
        let waiting: Vec<&str> = init_specs
            .iter()
            .filter(|c| !matches!(status_of(a.init_statuses, c.str("name")), St::Done { .. }))
            .map(|c| c.str("name"))
            .collect();
        conds.push(cond(
            "Initialized",
            "False",
            start,
            Some("ContainersNotInitialized"),
            Some(format!(
                "containers with incomplete status: [{}]",
                waiting.join(" ")
            )),
        ));
    }
    if succeeded {
        conds.push(cond("Ready", "False", finished, Some("PodCompleted"), None));
        conds.push(cond(
            "ContainersReady",
            "False",
            finished,
            Some("PodCompleted"),
            None,
        ));
    } else if !not_ready.is_empty() {
        let msg = format!("containers with unready status: [{}]", not_ready.join(" "));
        let since = a.ready_since.unwrap_or(start);
        conds.push(cond(
            "Ready",
            "False",
            since,
            Some("ContainersNotReady"),
            Some(msg.clone()),
        ));
        conds.push(cond(
            "ContainersReady",
            "False",
            since,
            Some("ContainersNotReady"),
            Some(msg),
        ));
    } else {
        let since = a.ready_since.unwrap_or(start + 5.0);
        conds.push(cond("Ready", "True", since, None, None));
        conds.push(cond("ContainersReady", "True", since, None, None));
    }
    conds.push(cond("PodScheduled", "True", a.created, None, None));

    let requests: Vec<&M> = spec
        .list("containers")
        .iter()
        .map(|c| c.map().map("resources"))
        .collect();
    let qos = if requests
        .iter()
        .all(|r| r.get("limits").is_some_and(V::truthy) && r.get("requests") == r.get("limits"))
    {
        "Guaranteed"
    } else if requests.iter().any(|r| !r.is_empty()) {
        "Burstable"
    } else {
        "BestEffort"
    };
    let phase = a
        .phase
        .unwrap_or(if initialized { "Running" } else { "Pending" });
    let mut status = m! {
        "conditions" => conds,
        "containerStatuses" => cstat,
        "hostIP" => &host_ip,
        "hostIPs" => l![m! { "ip" => &host_ip }],
        "phase" => phase,
        "podIP" => &ip,
        "podIPs" => l![m! { "ip" => &ip }],
        "qosClass" => qos,
        "startTime" => iso(start),
    };
    if !istat.is_empty() {
        status.set("initContainerStatuses", istat);
    }
    if succeeded {
        status.remove("podIP");
        status.remove("podIPs");
    }

    let (kind, oname, ouid) = a.owner;
    let mut meta = m! {
        "creationTimestamp" => iso(a.created),
        "labels" => &a.labels,
        "name" => name,
        "namespace" => ns,
        "ownerReferences" => l![m! {
            "apiVersion" => if kind == "Job" { "batch/v1" } else { "apps/v1" },
            "blockOwnerDeletion" => true,
            "controller" => true,
            "kind" => kind,
            "name" => oname,
            "uid" => ouid,
        }],
        "uid" => &uid,
    };
    if let Some(g) = &a.generate_name {
        meta.set("generateName", g);
    }
    if let Some(an) = a.annotations {
        meta.set("annotations", an);
    }
    let any_loop = a
        .statuses
        .iter()
        .chain(a.init_statuses)
        .any(|(_, s)| matches!(s, St::Loop(_)));
    let changed = if let Some(c) = a.status_changed {
        c
    } else if any_loop {
        b.t - 2.0 - int(unit(p![&b.cluster, name, "chg"]) * 20.0) as f64
    } else {
        (start + 10.0).max(a.ready_since.unwrap_or(0.0))
    };
    let manager_spec = spec.without(&[
        "nodeName",
        "preemptionPolicy",
        "priority",
        "enableServiceLinks",
    ]);
    let meta_fields = meta.pick(&["annotations", "generateName", "labels", "ownerReferences"]);
    let managed = vec![
        mf(
            "kube-controller-manager",
            a.created,
            &m! { "metadata" => meta_fields, "spec" => manager_spec },
            "v1",
            None,
        ),
        mf(
            "kubelet",
            changed,
            &m! { "status" => status.without(&["qosClass"]) },
            "v1",
            Some("status"),
        ),
    ];
    meta.set("managedFields", managed);
    meta.set("resourceVersion", b.rv(changed, p!["pod", name]));
    let pod = m! {
        "apiVersion" => "v1",
        "kind" => "Pod",
        "metadata" => meta,
        "spec" => spec,
        "status" => status,
    };
    b.add(ns, "pods", pod.clone());
    pod
}

// ------------------------------------------------------------------------------------------
// Events (core/v1, as kubelet, controllers and the scheduler record them)

pub(crate) struct Ev<'a> {
    pub(crate) last: Option<f64>,
    pub(crate) count: i64,
    pub(crate) typ: &'a str,
    pub(crate) field: Option<String>,
    pub(crate) component: &'a str,
    pub(crate) host: Option<&'a str>,
    pub(crate) api: &'a str,
}

impl Default for Ev<'_> {
    fn default() -> Self {
        Ev {
            last: None,
            count: 1,
            typ: "Normal",
            field: None,
            component: "kubelet",
            host: None,
            api: "v1",
        }
    }
}

/// A controller's event about one of its objects, once at `first`.
pub(crate) fn by<'a>(component: &'a str, api: &'a str) -> Ev<'a> {
    Ev {
        component,
        api,
        ..Ev::default()
    }
}

/// A kubelet warning about a pod's container, `count` times from `first` to `last`.
pub(crate) fn warning<'a>(last: f64, count: i64, field: &str, host: &'a str) -> Ev<'a> {
    Ev {
        last: Some(last),
        count,
        typ: "Warning",
        field: Some(field.to_owned()),
        host: Some(host),
        ..Ev::default()
    }
}

pub(crate) fn add_event(
    b: &mut Bundle,
    ns: &str,
    obj: (&str, &str, &str),
    reason: &str,
    message: &str,
    first: f64,
    e: &Ev<'_>,
) {
    let last = e.last.unwrap_or(first);
    if last < b.t - 3600.0 {
        return; // events expire one hour after their last update
    }
    let (kind, name, uid) = obj;
    let name_ev = format!(
        "{name}.{:x}",
        int(first * 1e9) + int(unit(p![&b.cluster, name, reason, message]) * 1e6)
    );
    let mut inv = m! {
        "apiVersion" => e.api,
        "kind" => kind,
        "name" => name,
        "namespace" => ns,
        "resourceVersion" => b.rv(first, p!["inv", name]),
        "uid" => uid,
    };
    if let Some(f) = &e.field {
        inv.set("fieldPath", f);
    }
    let mut source = m! { "component" => e.component };
    if let Some(h) = e.host {
        source.set("host", h);
    }
    let mut ev = m! {
        "apiVersion" => "v1",
        "count" => e.count,
        "eventTime" => V::Null,
        "firstTimestamp" => iso(first),
        "involvedObject" => inv,
        "kind" => "Event",
        "lastTimestamp" => iso(last),
        "message" => message,
        "reason" => reason,
        "reportingComponent" => e.component,
        "reportingInstance" => e.host.unwrap_or(""),
        "source" => source,
        "type" => e.typ,
    };
    let tracked = ev.pick(&[
        "count",
        "firstTimestamp",
        "involvedObject",
        "lastTimestamp",
        "message",
        "reason",
        "reportingComponent",
        "reportingInstance",
        "source",
        "type",
    ]);
    let meta = m! {
        "creationTimestamp" => iso(first),
        "name" => &name_ev,
        "namespace" => ns,
        "resourceVersion" => b.rv(last, p!["ev", &name_ev]),
        "uid" => b.uid(p!["event", &name_ev]),
        "managedFields" => vec![mf(e.component, last, &tracked, "v1", None)],
    };
    ev.set("metadata", meta);
    b.add(ns, "events", ev);
}

/// Scheduler events come through events.k8s.io/v1: eventTime set, the legacy fields empty.
pub(crate) fn add_scheduled(b: &mut Bundle, ns: &str, pod: &M, node: &str, t: f64) {
    if t < b.t - 3600.0 {
        return;
    }
    let name = pod.map("metadata").str("name");
    let ev_name = format!(
        "{name}.{:x}",
        int(t * 1e9) + int(unit(p![name, "sched"]) * 1e6)
    );
    let mut ev = m! {
        "action" => "Binding",
        "apiVersion" => "v1",
        "eventTime" => iso_micro(t, p![name]),
        "firstTimestamp" => V::Null,
        "involvedObject" => m! {
            "apiVersion" => "v1",
            "kind" => "Pod",
            "name" => name,
            "namespace" => ns,
            "resourceVersion" => b.rv(t, p!["inv", name]),
            "uid" => pod.map("metadata").str("uid"),
        },
        "kind" => "Event",
        "lastTimestamp" => V::Null,
        "message" => format!("Successfully assigned {ns}/{name} to {node}"),
        "reason" => "Scheduled",
        "reportingComponent" => "default-scheduler",
        "reportingInstance" => format!("default-scheduler-{}", b.scheduler_host),
        "source" => M::new(),
        "type" => "Normal",
    };
    let mut entry = mf(
        "kube-scheduler",
        t,
        &ev.pick(&[
            "action",
            "eventTime",
            "reason",
            "reportingComponent",
            "reportingInstance",
            "type",
        ]),
        "events.k8s.io/v1",
        None,
    );
    let Some(V::Map(fields)) = entry.get_mut("fieldsV1") else {
        unreachable!("mf writes fieldsV1")
    };
    for k in ["f:note", "f:regarding", "f:reportingController"] {
        fields.set(k, M::new());
    }
    for k in ["f:involvedObject", "f:message", "f:reportingComponent"] {
        fields.remove(k);
    }
    let meta = m! {
        "creationTimestamp" => iso(t),
        "name" => &ev_name,
        "namespace" => ns,
        "resourceVersion" => b.rv(t, p!["ev", &ev_name]),
        "uid" => b.uid(p!["event", &ev_name]),
        "managedFields" => vec![entry],
    };
    ev.set("metadata", meta);
    b.add(ns, "events", ev);
}

/// Pulled/Created/Started for every instance, BackOff while waiting.
pub(crate) fn container_events(b: &mut Bundle, ns: &str, pod: &M, c: &M, st: &St, init: bool) {
    let meta = pod.map("metadata");
    let (name, uid) = (meta.str("name").to_owned(), meta.str("uid").to_owned());
    let obj = ("Pod", name.as_str(), uid.as_str());
    let node = pod.map("spec").str("nodeName").to_owned();
    let cname = c.str("name");
    let field = format!(
        "spec.{}{{{cname}}}",
        if init { "initContainers" } else { "containers" }
    );
    let starts = match st {
        St::Loop(lp) => lp.timeline.starts(),
        St::Running { started, .. } | St::Done { started, .. } => vec![*started],
        St::Initializing => return,
    };
    let n = count(starts.len());
    let (first, last) = (starts[0], starts[starts.len() - 1]);
    let img = c.str("image");
    let kubelet = |last: f64| Ev {
        last: Some(last),
        count: n,
        field: Some(field.clone()),
        host: Some(node.as_str()),
        ..Ev::default()
    };
    add_event(
        b,
        ns,
        obj,
        "Pulled",
        &format!("Container image \"{img}\" already present on machine"),
        first - 0.6,
        &kubelet(last - 0.6),
    );
    add_event(
        b,
        ns,
        obj,
        "Created",
        &format!("Created container {cname}"),
        first - 0.4,
        &kubelet(last - 0.4),
    );
    add_event(
        b,
        ns,
        obj,
        "Started",
        &format!("Started container {cname}"),
        first,
        &kubelet(last),
    );
    if let St::Loop(lp) = st {
        let waits = &lp.timeline.waits;
        if !waits.is_empty() {
            let count: i64 = waits
                .iter()
                .map(|(s, e)| 1.max(int(floor_div(e - s, 10.0))))
                .sum();
            let last = waits[waits.len() - 1].1.min(b.t)
                - 2.0
                - int(unit(p![&name, cname, "bo"]) * 6.0) as f64;
            add_event(
                b,
                ns,
                obj,
                "BackOff",
                &format!("Back-off restarting failed container {cname} in pod {name}_{ns}({uid})"),
                waits[0].0 + 1.0,
                &warning(last, count, &field, &node),
            );
        }
    }
}

// ------------------------------------------------------------------------------------------
// Workload controllers

pub(crate) fn helm_labels(app: &str, part_of: &str) -> M {
    m! {
        "app" => app,
        "app.kubernetes.io/instance" => app,
        "app.kubernetes.io/managed-by" => "Helm",
        "app.kubernetes.io/name" => app,
        "app.kubernetes.io/part-of" => part_of,
        "helm.sh/chart" => format!("{app}-1.0.0"),
    }
}

pub(crate) fn helm_annotations(release: &str, ns: &str) -> M {
    m! { "meta.helm.sh/release-name" => release, "meta.helm.sh/release-namespace" => ns }
}

/// One pod of a workload: where and when it was made and what its containers do.
pub(crate) struct PodPlan {
    pub(crate) node: String,
    pub(crate) created: f64,
    pub(crate) statuses: Statuses,
    pub(crate) init_statuses: Statuses,
    pub(crate) ready_since: Option<f64>,
}

impl PodPlan {
    pub(crate) fn new(node: &str, created: f64, statuses: Statuses) -> PodPlan {
        PodPlan {
            node: node.to_owned(),
            created,
            statuses,
            init_statuses: Vec::new(),
            ready_since: None,
        }
    }
}

pub(crate) struct Deploy<'a> {
    pub(crate) template_spec: &'a M,
    pub(crate) pods: Vec<PodPlan>,
    pub(crate) created: f64,
    pub(crate) deadline: bool,
    pub(crate) labels: Option<M>,
    pub(crate) selector: Option<M>,
    pub(crate) pod_labels: Option<M>,
    pub(crate) release: Option<&'a str>,
    pub(crate) template_annotations: Option<M>,
}

impl<'a> Deploy<'a> {
    pub(crate) fn new(template_spec: &'a M, created: f64, pods: Vec<PodPlan>) -> Deploy<'a> {
        Deploy {
            template_spec,
            pods,
            created,
            deadline: false,
            labels: None,
            selector: None,
            pod_labels: None,
            release: None,
            template_annotations: None,
        }
    }
}

/// A Deployment, its current ReplicaSet, and one Pod per plan.
pub(crate) fn deployment(b: &mut Bundle, ns: &str, name: &str, d: &Deploy<'_>) -> Vec<M> {
    let pods = &d.pods;
    let replicas = count(pods.len());
    let revision = 1i64;
    let created = d.created;
    let selector = d.selector.clone().unwrap_or_else(|| m! { "app" => name });
    let labels = d
        .labels
        .clone()
        .unwrap_or_else(|| helm_labels(name, "shop"));
    let pod_labels = d.pod_labels.clone().unwrap_or_else(|| selector.clone());
    let tmpl_hash = safe(10, p![&b.cluster, ns, name, "template", revision]);
    let hash = m! { "pod-template-hash" => &tmpl_hash };
    let dep_uid = b.uid(p!["deploy", ns, name]);
    let rs_name = format!("{name}-{tmpl_hash}");
    let rs_uid = b.uid(p!["rs", ns, &rs_name]);
    let rs_created = created;
    let mut template_meta = m! { "creationTimestamp" => V::Null, "labels" => &pod_labels };
    if let Some(an) = &d.template_annotations {
        template_meta.set("annotations", an);
    }
    let template = m! { "metadata" => &template_meta, "spec" => d.template_spec };
    let strategy = m! {
        "rollingUpdate" => m! { "maxSurge" => "25%", "maxUnavailable" => "25%" },
        "type" => "RollingUpdate",
    };

    let mut made = Vec::new();
    for (i, plan) in pods.iter().enumerate() {
        let pname = format!("{rs_name}-{}", safe(5, p![&b.cluster, &rs_name, i]));
        let pod = make_pod(
            b,
            ns,
            &pname,
            &PodArgs {
                owner: ("ReplicaSet", &rs_name, &rs_uid),
                labels: pod_labels.with(&hash),
                spec: d.template_spec,
                node: &plan.node,
                created: plan.created,
                statuses: &plan.statuses,
                init_statuses: &plan.init_statuses,
                annotations: d.template_annotations.as_ref(),
                ready_since: plan.ready_since,
                generate_name: Some(format!("{rs_name}-")),
                phase: None,
                status_changed: None,
                finished: None,
            },
        );
        made.push(pod);
    }

    let ready = made
        .iter()
        .filter(|pod| {
            pod.map("status")
                .list("containerStatuses")
                .iter()
                .all(|s| s.map().get("ready") == Some(&V::Bool(true)))
        })
        .count();
    let ready = count(ready);
    let last_change = pods.iter().map(|p| p.created).fold(rs_created, f64::max);
    let mut rs_status = m! {
        "fullyLabeledReplicas" => replicas,
        "observedGeneration" => 1,
        "replicas" => replicas,
    };
    if ready > 0 {
        rs_status.set("availableReplicas", ready);
        rs_status.set("readyReplicas", ready);
    }
    let rs_spec = m! {
        "replicas" => replicas,
        "selector" => m! { "matchLabels" => selector.with(&hash) },
        "template" => m! {
            "metadata" => template_meta.with(&m! { "labels" => pod_labels.with(&hash) }),
            "spec" => d.template_spec,
        },
    };
    let mut rsm = m! {
        "annotations" => m! {
            "deployment.kubernetes.io/desired-replicas" => replicas.to_string(),
            "deployment.kubernetes.io/max-replicas" => (replicas + 1.max((replicas + 3) / 4)).to_string(),
            "deployment.kubernetes.io/revision" => revision.to_string(),
        },
        "creationTimestamp" => iso(rs_created),
        "generation" => 1,
        "labels" => pod_labels.with(&hash),
        "name" => &rs_name,
        "namespace" => ns,
        "ownerReferences" => l![m! {
            "apiVersion" => "apps/v1",
            "blockOwnerDeletion" => true,
            "controller" => true,
            "kind" => "Deployment",
            "name" => name,
            "uid" => &dep_uid,
        }],
        "uid" => &rs_uid,
    };
    let rs_changed = if ready < replicas {
        last_change.max(b.t - 600.0)
    } else {
        last_change + 30.0
    };
    rsm.set(
        "managedFields",
        vec![
            mf(
                "kube-controller-manager",
                rs_created,
                &m! {
                    "metadata" => rsm.pick(&["annotations", "labels", "ownerReferences"]),
                    "spec" => &rs_spec,
                },
                "apps/v1",
                None,
            ),
            mf(
                "kube-controller-manager",
                rs_changed,
                &m! { "status" => &rs_status },
                "apps/v1",
                Some("status"),
            ),
        ],
    );
    rsm.set("resourceVersion", b.rv(rs_changed, p!["rs", &rs_name]));
    b.add(
        ns,
        "replicasets",
        m! {
            "apiVersion" => "apps/v1",
            "kind" => "ReplicaSet",
            "metadata" => rsm,
            "spec" => rs_spec,
            "status" => rs_status,
        },
    );

    let unavailable = replicas - ready;
    let avail_ok = unavailable <= replicas / 4;
    let first_ready = pods
        .iter()
        .map(|p| p.ready_since.unwrap_or(p.created + 8.0))
        .reduce(f64::min)
        .unwrap_or(created + 8.0);
    let avail_t = iso(if avail_ok {
        created + 8.0
    } else {
        last_change + 1.0
    });
    let mut conds = vec![m! {
        "lastTransitionTime" => &avail_t,
        "lastUpdateTime" => &avail_t,
        "message" => if avail_ok { "Deployment has minimum availability." } else { "Deployment does not have minimum availability." },
        "reason" => if avail_ok { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
        "status" => if avail_ok { "True" } else { "False" },
        "type" => "Available",
    }];
    if d.deadline {
        let t = iso(rs_created + 601.0);
        conds.push(m! {
            "lastTransitionTime" => &t,
            "lastUpdateTime" => &t,
            "message" => format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
            "reason" => "ProgressDeadlineExceeded",
            "status" => "False",
            "type" => "Progressing",
        });
    } else {
        conds.push(m! {
            "lastTransitionTime" => iso(rs_created),
            "lastUpdateTime" => iso(rs_created.max(first_ready)),
            "message" => format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
            "reason" => "NewReplicaSetAvailable",
            "status" => "True",
            "type" => "Progressing",
        });
    }
    let mut status = m! {
        "conditions" => conds,
        "observedGeneration" => revision,
        "replicas" => replicas,
        "updatedReplicas" => replicas,
    };
    if ready > 0 {
        status.set("availableReplicas", ready);
        status.set("readyReplicas", ready);
    }
    if unavailable > 0 {
        status.set("unavailableReplicas", unavailable);
    }
    let release = d.release.unwrap_or(name);
    let spec = m! {
        "progressDeadlineSeconds" => 600,
        "replicas" => replicas,
        "revisionHistoryLimit" => 10,
        "selector" => m! { "matchLabels" => &selector },
        "strategy" => strategy,
        "template" => template,
    };
    let mut dm = m! {
        "annotations" => helm_annotations(release, ns).with(&m! { "deployment.kubernetes.io/revision" => revision.to_string() }),
        "creationTimestamp" => iso(created),
        "generation" => revision,
        "labels" => &labels,
        "name" => name,
        "namespace" => ns,
        "uid" => &dep_uid,
    };
    let dep_changed = rs_changed;
    dm.set(
        "managedFields",
        vec![
            mf(
                HELM,
                rs_created,
                &m! {
                    "metadata" => m! { "annotations" => helm_annotations(release, ns), "labels" => &labels },
                    "spec" => &spec,
                },
                "apps/v1",
                None,
            ),
            mf(
                "kube-controller-manager",
                dep_changed,
                &m! {
                    "metadata" => m! { "annotations" => m! { "deployment.kubernetes.io/revision" => "1" } },
                    "status" => &status,
                },
                "apps/v1",
                Some("status"),
            ),
        ],
    );
    dm.set("resourceVersion", b.rv(dep_changed, p!["deploy", name]));
    b.add(
        ns,
        "deployments",
        m! {
            "apiVersion" => "apps/v1",
            "kind" => "Deployment",
            "metadata" => dm,
            "spec" => spec,
            "status" => status,
        },
    );
    for (plan, pod) in pods.iter().zip(&made) {
        add_scheduled(b, ns, pod, &plan.node, plan.created);
        let msg = format!("Created pod: {}", pod.map("metadata").str("name"));
        add_event(
            b,
            ns,
            ("ReplicaSet", &rs_name, &rs_uid),
            "SuccessfulCreate",
            &msg,
            plan.created,
            &by("replicaset-controller", "apps/v1"),
        );
    }
    if rs_created >= b.t - 3600.0 {
        add_event(
            b,
            ns,
            ("Deployment", name, &dep_uid),
            "ScalingReplicaSet",
            &format!("Scaled up replica set {rs_name} to {replicas}"),
            rs_created,
            &by("deployment-controller", "apps/v1"),
        );
    }
    for (plan, pod) in pods.iter().zip(&made) {
        for c in d.template_spec.list("initContainers").iter().map(V::map) {
            container_events(
                b,
                ns,
                pod,
                c,
                status_of(&plan.init_statuses, c.str("name")),
                true,
            );
        }
        for c in d.template_spec.list("containers").iter().map(V::map) {
            container_events(
                b,
                ns,
                pod,
                c,
                status_of(&plan.statuses, c.str("name")),
                false,
            );
        }
    }
    made
}

#[allow(clippy::too_many_arguments)]
/// A StatefulSet scaled down to no pods at `scaled_down_at`, with a volume claim template
/// `claim` (name, size). Returns its uid.
pub(crate) fn statefulset(
    b: &mut Bundle,
    ns: &str,
    name: &str,
    template_spec: &M,
    created: f64,
    service_name: &str,
    claim: (&str, &str),
    scaled_down_at: f64,
) -> String {
    let selector = m! { "app" => name };
    let labels = helm_labels(name, "shop");
    let rev = format!("{name}-{}", safe(10, p![&b.cluster, ns, name, "rev"]));
    let uid = b.uid(p!["sts", ns, name]);
    let spec = m! {
        "persistentVolumeClaimRetentionPolicy" => m! { "whenDeleted" => "Retain", "whenScaled" => "Retain" },
        "podManagementPolicy" => "OrderedReady",
        "replicas" => 0,
        "revisionHistoryLimit" => 10,
        "selector" => m! { "matchLabels" => &selector },
        "serviceName" => service_name,
        "template" => m! { "metadata" => m! { "creationTimestamp" => V::Null, "labels" => &selector }, "spec" => template_spec },
        "updateStrategy" => m! { "rollingUpdate" => m! { "partition" => 0 }, "type" => "RollingUpdate" },
        "volumeClaimTemplates" => l![m! {
            "apiVersion" => "v1",
            "kind" => "PersistentVolumeClaim",
            "metadata" => m! { "creationTimestamp" => V::Null, "name" => claim.0 },
            "spec" => m! {
                "accessModes" => l!["ReadWriteOnce"],
                "resources" => m! { "requests" => m! { "storage" => claim.1 } },
                "volumeMode" => "Filesystem",
            },
            "status" => m! { "phase" => "Pending" },
        }],
    };
    let status = m! {
        "availableReplicas" => 0,
        "collisionCount" => 0,
        "currentRevision" => &rev,
        "observedGeneration" => 2,
        "replicas" => 0,
        "updateRevision" => &rev,
    };
    let changed = scaled_down_at;
    let mut meta = m! {
        "annotations" => helm_annotations(name, ns),
        "creationTimestamp" => iso(created),
        "generation" => 2,
        "labels" => &labels,
        "name" => name,
        "namespace" => ns,
        "uid" => &uid,
    };
    meta.set(
        "managedFields",
        vec![
            mf(
                HELM,
                created,
                &m! {
                    "metadata" => meta.pick(&["annotations", "labels"]),
                    "spec" => spec.without(&["replicas"]),
                },
                "apps/v1",
                None,
            ),
            mf(
                "kubectl",
                scaled_down_at,
                &m! { "spec" => m! { "replicas" => 0 } },
                "apps/v1",
                Some("scale"),
            ),
            mf(
                "kube-controller-manager",
                changed + 2.0,
                &m! { "status" => &status },
                "apps/v1",
                Some("status"),
            ),
        ],
    );
    meta.set("resourceVersion", b.rv(changed + 2.0, p!["sts", name]));
    b.add(
        ns,
        "statefulsets",
        m! {
            "apiVersion" => "apps/v1",
            "kind" => "StatefulSet",
            "metadata" => meta,
            "spec" => spec,
            "status" => status,
        },
    );
    uid
}

/// A DaemonSet with one running pod per `(node, created)`.
pub(crate) fn daemonset(
    b: &mut Bundle,
    ns: &str,
    name: &str,
    template_spec: &M,
    nodes: &[(String, f64)],
    created: f64,
    release: &str,
) -> Vec<M> {
    let selector = m! { "app.kubernetes.io/name" => name };
    let labels = helm_labels(name, release);
    let rev = safe(10, p![&b.cluster, ns, name, "dsrev"]);
    let uid = b.uid(p!["ds", ns, name]);
    let mut made = Vec::new();
    for (node, pcreated) in nodes {
        let pname = format!("{name}-{}", safe(5, p![&b.cluster, name, node]));
        let mut pspec = template_spec.clone();
        pspec.set(
            "affinity",
            m! { "nodeAffinity" => m! { "requiredDuringSchedulingIgnoredDuringExecution" => m! {
                "nodeSelectorTerms" => l![m! { "matchFields" => l![m! {
                    "key" => "metadata.name",
                    "operator" => "In",
                    "values" => l![node],
                }] }],
            } } },
        );
        let mut tolerations = pspec.list("tolerations").to_vec();
        tolerations.extend(daemonset_tolerations());
        pspec.set("tolerations", tolerations);
        let sts: Statuses = template_spec
            .list("containers")
            .iter()
            .map(|c| (c.map().str("name").to_owned(), running(pcreated + 3.0)))
            .collect();
        made.push(make_pod(
            b,
            ns,
            &pname,
            &PodArgs {
                owner: ("DaemonSet", name, &uid),
                labels: selector.with(&m! {
                    "controller-revision-hash" => &rev,
                    "pod-template-generation" => "1",
                }),
                spec: &pspec,
                node,
                created: *pcreated,
                statuses: &sts,
                init_statuses: &Vec::new(),
                annotations: None,
                ready_since: None,
                generate_name: Some(format!("{name}-")),
                phase: None,
                status_changed: None,
                finished: None,
            },
        ));
    }
    let n = count(nodes.len());
    let status = m! {
        "currentNumberScheduled" => n,
        "desiredNumberScheduled" => n,
        "numberAvailable" => n,
        "numberMisscheduled" => 0,
        "numberReady" => n,
        "observedGeneration" => 1,
        "updatedNumberScheduled" => n,
    };
    let spec = m! {
        "revisionHistoryLimit" => 10,
        "selector" => m! { "matchLabels" => &selector },
        "template" => m! { "metadata" => m! { "creationTimestamp" => V::Null, "labels" => &selector }, "spec" => template_spec },
        "updateStrategy" => m! { "rollingUpdate" => m! { "maxSurge" => 0, "maxUnavailable" => 1 }, "type" => "RollingUpdate" },
    };
    let mut meta = m! {
        "annotations" => helm_annotations(release, ns).with(&m! { "deprecated.daemonset.template.generation" => "1" }),
        "creationTimestamp" => iso(created),
        "generation" => 1,
        "labels" => &labels,
        "name" => name,
        "namespace" => ns,
        "uid" => &uid,
    };
    let last = nodes.iter().map(|n| n.1).fold(f64::MIN, f64::max) + 20.0;
    meta.set(
        "managedFields",
        vec![
            mf(
                HELM,
                created,
                &m! { "metadata" => meta.pick(&["annotations", "labels"]), "spec" => &spec },
                "apps/v1",
                None,
            ),
            mf(
                "kube-controller-manager",
                last,
                &m! { "status" => &status },
                "apps/v1",
                Some("status"),
            ),
        ],
    );
    meta.set("resourceVersion", b.rv(last, p!["ds", name]));
    b.add(
        ns,
        "daemonsets",
        m! {
            "apiVersion" => "apps/v1",
            "kind" => "DaemonSet",
            "metadata" => meta,
            "spec" => spec,
            "status" => status,
        },
    );
    made
}

pub(crate) struct Svc<'a> {
    pub(crate) ip: Option<String>,
    pub(crate) ports: Vec<(&'a str, i64, V)>,
    pub(crate) selector: M,
    pub(crate) created: f64,
    pub(crate) labels: Option<M>,
    pub(crate) backends: Vec<M>,
    pub(crate) not_ready: Vec<M>,
}

/// A ClusterIP Service (headless without `ip`) and its Endpoints (`backends`/`not_ready`: the
/// pods serving it).
pub(crate) fn service(b: &mut Bundle, ns: &str, name: &str, s: &Svc<'_>) {
    let app = match s.selector.get("app") {
        Some(V::Str(a)) => a.clone(),
        _ => name.to_owned(),
    };
    let labels = s
        .labels
        .clone()
        .unwrap_or_else(|| helm_labels(&app, "shop"));
    let cluster_ip = s.ip.clone().unwrap_or_else(|| "None".to_owned());
    let ports: Vec<M> = s
        .ports
        .iter()
        .map(|(n, p, t)| m! { "name" => *n, "port" => *p, "protocol" => "TCP", "targetPort" => t })
        .collect();
    let spec = m! {
        "clusterIP" => &cluster_ip,
        "clusterIPs" => l![&cluster_ip],
        "internalTrafficPolicy" => "Cluster",
        "ipFamilies" => l!["IPv4"],
        "ipFamilyPolicy" => "SingleStack",
        "ports" => ports,
        "selector" => &s.selector,
        "sessionAffinity" => "None",
        "type" => "ClusterIP",
    };
    let mut meta = m! {
        "annotations" => helm_annotations(&app, ns),
        "creationTimestamp" => iso(s.created),
        "labels" => &labels,
        "name" => name,
        "namespace" => ns,
        "uid" => b.uid(p!["svc", ns, name]),
    };
    meta.set(
        "managedFields",
        vec![mf(
            HELM,
            s.created,
            &m! {
                "metadata" => meta.pick(&["annotations", "labels"]),
                "spec" => spec.without(&["clusterIP", "clusterIPs", "ipFamilies"]),
            },
            "v1",
            None,
        )],
    );
    meta.set("resourceVersion", b.rv(s.created, p!["svc", name]));
    b.add(
        ns,
        "services",
        m! {
            "apiVersion" => "v1",
            "kind" => "Service",
            "metadata" => meta,
            "spec" => spec,
            "status" => m! { "loadBalancer" => M::new() },
        },
    );

    let addr = |pod: &M| {
        let meta = pod.map("metadata");
        m! {
            "ip" => pod.map("status").str("podIP"),
            "nodeName" => pod.map("spec").str("nodeName"),
            "targetRef" => m! { "kind" => "Pod", "name" => meta.str("name"), "namespace" => ns, "uid" => meta.str("uid") },
        }
    };
    let sorted = |pods: &[M]| {
        let mut pods: Vec<&M> = pods.iter().collect();
        pods.sort_by(|a, b| {
            a.map("status")
                .str("podIP")
                .cmp(b.map("status").str("podIP"))
        });
        pods.into_iter().map(addr).collect::<Vec<M>>()
    };
    let mut ep_labels = labels.clone();
    if s.ip.is_none() {
        ep_labels.set("service.kubernetes.io/headless", "");
    }
    let mut subsets = Vec::new();
    let pods: Vec<&M> = s.backends.iter().chain(&s.not_ready).collect();
    if !pods.is_empty() {
        let mut subset = M::new();
        if !s.backends.is_empty() {
            subset.set("addresses", sorted(&s.backends));
        }
        if !s.not_ready.is_empty() {
            subset.set("notReadyAddresses", sorted(&s.not_ready));
        }
        let mut named = M::new();
        for pod in &pods {
            for c in pod.map("spec").list("containers") {
                for cp in c.map().list("ports") {
                    let cp = cp.map();
                    named.set(
                        cp.str("name"),
                        cp.get("containerPort").cloned().unwrap_or(V::Null),
                    );
                }
            }
        }
        let ports: Vec<M> = s
            .ports
            .iter()
            .map(|(n, _, t)| {
                let port = match t {
                    V::Str(t) => named.get(t).cloned().expect("a named port"),
                    other => other.clone(),
                };
                m! { "name" => *n, "port" => port, "protocol" => "TCP" }
            })
            .collect();
        subset.set("ports", ports);
        subsets.push(subset);
    }
    let changed = pods
        .iter()
        .map(|pod| epoch(pod.map("metadata").str("creationTimestamp")) + 9.0)
        .fold(s.created + 5.0, f64::max);
    let mut ep_meta = m! {
        "annotations" => m! { "endpoints.kubernetes.io/last-change-trigger-time" => iso(changed - 1.0) },
        "creationTimestamp" => iso(s.created),
        "labels" => ep_labels,
        "name" => name,
        "namespace" => ns,
        "uid" => b.uid(p!["ep", ns, name]),
    };
    let mut body = m! { "metadata" => ep_meta.pick(&["annotations", "labels"]) };
    if !subsets.is_empty() {
        body.set("subsets", subsets.clone());
    }
    ep_meta.set(
        "managedFields",
        vec![mf("kube-controller-manager", changed, &body, "v1", None)],
    );
    ep_meta.set("resourceVersion", b.rv(changed, p!["ep", name]));
    let mut ep = m! { "apiVersion" => "v1", "kind" => "Endpoints", "metadata" => ep_meta };
    if !subsets.is_empty() {
        ep.set("subsets", subsets);
    }
    b.add(ns, "endpoints", ep);
}

pub(crate) fn configmap(
    b: &mut Bundle,
    ns: &str,
    name: &str,
    keys: &[&str],
    created: f64,
    manager: &str,
    annotations: Option<M>,
) {
    let mut meta = m! {
        "creationTimestamp" => iso(created),
        "name" => name,
        "namespace" => ns,
        "uid" => b.uid(p!["cm", ns, name]),
    };
    if let Some(an) = annotations {
        meta.set("annotations", an);
    }
    let mut data = M::new();
    for k in keys {
        data.set(k, "<redacted>");
    }
    let mut tree = m! { "data" => &data };
    let picked = meta.pick(&["annotations", "labels"]);
    if !picked.is_empty() {
        tree.set("metadata", picked);
    }
    meta.set(
        "managedFields",
        vec![mf(manager, created, &tree, "v1", None)],
    );
    meta.set("resourceVersion", b.rv(created, p!["cm", ns, name]));
    b.add(
        ns,
        "configmaps",
        m! { "apiVersion" => "v1", "data" => data, "kind" => "ConfigMap", "metadata" => meta },
    );
}

/// A ConfigMap of the application's chart.
pub(crate) fn helm_configmap(b: &mut Bundle, ns: &str, name: &str, keys: &[&str], created: f64) {
    configmap(b, ns, name, keys, created, HELM, None);
}

pub(crate) fn root_ca(b: &mut Bundle, ns: &str, t: f64) {
    configmap(
        b,
        ns,
        "kube-root-ca.crt",
        &["ca.crt"],
        t,
        "kube-controller-manager",
        Some(m! {
            "kubernetes.io/description" => "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.",
        }),
    );
}

pub(crate) fn secret(
    b: &mut Bundle,
    ns: &str,
    name: &str,
    keys: &[&str],
    created: f64,
    labels: Option<&M>,
) {
    let typ = "Opaque";
    let mut meta = m! {
        "creationTimestamp" => iso(created),
        "name" => name,
        "namespace" => ns,
        "uid" => b.uid(p!["secret", ns, name]),
    };
    if let Some(l) = labels {
        meta.set("labels", l);
    }
    let mut data = M::new();
    for k in keys {
        data.set(k, "<redacted>");
    }
    let mut tree = m! { "data" => &data, "type" => typ };
    if let Some(l) = labels {
        tree.set("metadata", m! { "labels" => l });
    }
    meta.set("managedFields", vec![mf(HELM, created, &tree, "v1", None)]);
    meta.set("resourceVersion", b.rv(created, p!["secret", ns, name]));
    b.add(
        ns,
        "secrets",
        m! { "apiVersion" => "v1", "data" => data, "kind" => "Secret", "metadata" => meta, "type" => typ },
    );
}

pub(crate) fn pvc(
    b: &mut Bundle,
    ns: &str,
    name: &str,
    size: &str,
    created: f64,
    node: &str,
    storage_class: &str,
) {
    let vol = format!("pvc-{}", b.uid(p!["pv", ns, name]));
    let annotations = m! {
        "pv.kubernetes.io/bind-completed" => "yes",
        "pv.kubernetes.io/bound-by-controller" => "yes",
        "volume.beta.kubernetes.io/storage-provisioner" => "rancher.io/local-path",
        "volume.kubernetes.io/selected-node" => node,
        "volume.kubernetes.io/storage-provisioner" => "rancher.io/local-path",
    };
    let labels = m! { "app" => name.split('-').nth(1).unwrap_or("") };
    let mut meta = m! {
        "annotations" => &annotations,
        "creationTimestamp" => iso(created),
        "finalizers" => l!["kubernetes.io/pvc-protection"],
        "labels" => &labels,
        "name" => name,
        "namespace" => ns,
        "uid" => b.uid(p!["pvc", ns, name]),
    };
    let spec = m! {
        "accessModes" => l!["ReadWriteOnce"],
        "resources" => m! { "requests" => m! { "storage" => size } },
        "storageClassName" => storage_class,
        "volumeMode" => "Filesystem",
        "volumeName" => &vol,
    };
    let status = m! {
        "accessModes" => l!["ReadWriteOnce"],
        "capacity" => m! { "storage" => size },
        "phase" => "Bound",
    };
    meta.set(
        "managedFields",
        vec![
            mf(
                "kube-controller-manager",
                created + 1.0,
                &m! {
                    "metadata" => m! {
                        "annotations" => annotations.pick(&[
                            "pv.kubernetes.io/bind-completed",
                            "pv.kubernetes.io/bound-by-controller",
                            "volume.beta.kubernetes.io/storage-provisioner",
                            "volume.kubernetes.io/storage-provisioner",
                        ]),
                        "labels" => &labels,
                    },
                    "spec" => &spec,
                },
                "v1",
                None,
            ),
            mf(
                "kube-scheduler",
                created,
                &m! { "metadata" => m! { "annotations" => annotations.pick(&["volume.kubernetes.io/selected-node"]) } },
                "v1",
                None,
            ),
            mf(
                "kube-controller-manager",
                created + 4.0,
                &m! { "status" => &status },
                "v1",
                Some("status"),
            ),
        ],
    );
    meta.set("resourceVersion", b.rv(created + 4.0, p!["pvc", name]));
    b.add(
        ns,
        "persistentvolumeclaims",
        m! {
            "apiVersion" => "v1",
            "kind" => "PersistentVolumeClaim",
            "metadata" => meta,
            "spec" => spec,
            "status" => status,
        },
    );
}

// ------------------------------------------------------------------------------------------
// Logs

/// What the collector keeps: logs of containers that restarted, wait, or exited non-zero.
pub(crate) fn write_logs(b: &mut Bundle, ns: &str, pod: &M, cname: &str, lp: &Loop) {
    let pname = pod.map("metadata").str("name");
    let base = format!("logs/{ns}/{pname}/{cname}");
    let salt = p![&b.cluster, pname, cname];
    let tl = &lp.timeline;
    let (start, finish) = tl.instances[tl.instances.len() - 1];
    let previous = render_log(&(lp.logs)(start, finish), salt);
    let current = if tl.waiting {
        previous.clone() // the same instance: kubectl returns it for both
    } else {
        render_log(&(lp.logs)(tl.current_start, b.t - 1.0), salt)
    };
    b.logs.insert(format!("{base}.previous.log"), previous);
    b.logs.insert(format!("{base}.log"), current);
}

/// `[(offset_seconds, text)]` -> `[(t, text)]` with ms precision kept monotonic.
pub(crate) fn timed(start: f64, items: Vec<(f64, String)>) -> Lines {
    let mut out = Vec::with_capacity(items.len());
    let mut last: Option<f64> = None;
    for (off, text) in items {
        let mut t = start + off;
        if let Some(l) = last
            && t <= l
        {
            t = l + 0.001;
        }
        out.push((t, text));
        last = Some(t);
    }
    out
}

/// A Spring Boot log line: offset, level, thread, logger, message.
pub(crate) type Entry = (f64, &'static str, &'static str, &'static str, &'static str);

/// Spring Boot 3 console lines.
pub(crate) fn spring(start: f64, app: &str, banner: &[&str], entries: &[Entry]) -> Lines {
    let mut out: Vec<(f64, String)> = banner
        .iter()
        .enumerate()
        .map(|(i, line)| (0.0 + i as f64 * 0.001, (*line).to_owned()))
        .collect();
    for (off, level, thread, logger, msg) in entries {
        let ts = iso_ms(start + off);
        let thread = &thread[thread.len().saturating_sub(15)..];
        let logger = &logger[..logger.len().min(40)];
        out.push((
            *off,
            format!("{ts} {level:>5} 1 --- [{app}] [{thread:>15}] {logger:<40} : {msg}"),
        ));
    }
    timed(start, out)
}

/// Python's float `a // b` (b > 0): floor of the quotient, computed from `fmod` as CPython does.
fn floor_div(a: f64, b: f64) -> f64 {
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && (m < 0.0) != (b < 0.0) {
        div -= 1.0;
    }
    let floor = div.floor();
    if div - floor > 0.5 {
        floor + 1.0
    } else {
        floor
    }
}
