#!/usr/bin/env python3
"""Generate the ktriage sample bundles under samples/ (bundle format v1, docs/design.md section 2).

    python3 samples/generate.py

Each sample is a bundle *directory* (manifest.json at its root) holding what ktriage-collect
would have written for one cluster: `kubectl get -o yaml` lists, events, and
`kubectl logs --timestamps` output. Standard library only, and deterministic: every time, uid,
hash, IP and digest is fixed or derived from names with SHA-256, so a rerun rewrites the same
bytes (`git status` stays clean). The sample directories are deleted and rewritten on each run;
README.md and this script are left alone, expected.tsv is rewritten from SAMPLES below.

The YAML writer imitates what kubectl prints (sigs.k8s.io/yaml over go-yaml v2): keys sorted
with go-yaml's natural order, sequences not indented under their key, strings quoted only when
go-yaml would (double quotes for strings that would read back as another type, single quotes
for strings that cannot be plain), literal blocks for multi-line strings, and long scalars
folded at spaces past column 80.

The container timelines follow the kubelet: a crash-looping container is restarted at once after
its first failure, then waits 10s, 20s, 40s ... up to 5m0s (`back-off` in `waiting.message`),
and a container that ran for more than 10 minutes is restarted at once again.
"""

import datetime
import functools
import hashlib
import json
import os
import re
import shutil
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
UTC = datetime.timezone.utc
COLLECTOR_VERSION = "0.1.0"
KUBECTL = {  # the client the collector ran (kubectl version -o yaml)
    "buildDate": "2024-10-22T20:35:25Z",
    "compiler": "gc",
    "gitCommit": "5864a4677267e6adeae276ad85882a8714d69d9d",
    "gitTreeState": "clean",
    "gitVersion": "v1.31.2",
    "goVersion": "go1.22.8",
    "major": "1",
    "minor": "31",
    "platform": "linux/amd64",
}


# ------------------------------------------------------------------------------------------
# Determinism helpers


def _digest(*parts):
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def hexid(*parts, n=64):
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:n]


def make_uid(*parts):
    b = bytearray(_digest("uid", *parts)[:16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(b)))


# k8s.io/apimachinery/pkg/util/rand: the alphabet of pod-name and template-hash suffixes.
SAFE = "bcdfghjklmnpqrstvwxz2456789"


def safe(n, *parts):
    d = _digest("safe", *parts)
    return "".join(SAFE[d[i] % len(SAFE)] for i in range(n))


def unit(*parts):
    """A fixed number in [0, 1) derived from parts."""
    return int.from_bytes(_digest("unit", *parts)[:4], "big") / 2**32


def epoch(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def _dt(t):
    return datetime.datetime.fromtimestamp(int(t), UTC)


def iso(t):
    return _dt(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(t):
    return int(round(t * 1000))


def iso_micro(t, *salt):
    ms = _ms(t)
    micro = (ms % 1000) * 1000 + int(unit("us", ms, *salt) * 1000)
    return _dt(ms // 1000).strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % micro


def iso_ms(t):
    ms = _ms(t)
    return _dt(ms // 1000).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def render_log(lines, *salt):
    """[(t, text)] -> what `kubectl logs --timestamps` prints: an RFC 3339 prefix with always nine
    fractional digits (the kubelet's format), strictly increasing within the file."""
    out, prev = [], 0
    for i, (t, text) in enumerate(lines):
        ns = int(round(t * 1_000_000)) * 1000 + int(unit("ns", i, *salt) * 900_000)
        if ns <= prev:
            ns = prev + 1 + int(unit("ns+", i, *salt) * 40_000)
        prev = ns
        stamp = _dt(ns // 1_000_000_000).strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % (ns % 1_000_000_000)
        out.append("%s %s\n" % (stamp, text))
    return "".join(out)


def go_duration(secs):
    m, s = divmod(int(secs), 60)
    return "%dm%ds" % (m, s) if m else "%ds" % s


# ------------------------------------------------------------------------------------------
# YAML, as kubectl prints it (sigs.k8s.io/yaml -> go-yaml v2 emitter, best_width 80)

BEST_WIDTH = 80
_RESOLVE_NON_STR = {
    "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
    "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
    "", "~", "null", "Null", "NULL", "<<",
    ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ".nan", ".NaN", ".NAN",
}
_GO_INT = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
    r"| [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?)?"
)
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")


def _resolves_to_str(s):
    """go-yaml v2 resolve(): would this plain scalar read back as a string?"""
    if s in _RESOLVE_NON_STR:
        return False
    c = s[0]
    if c in "+-0123456789":
        if _TIMESTAMP.fullmatch(s):
            return False
        plain = s.replace("_", "")
        if _GO_INT.fullmatch(plain) or _YAML_FLOAT.fullmatch(plain):
            return False
    elif c == ".":
        try:
            float(s)
            return False
        except ValueError:
            pass
    return not _BASE60.fullmatch(s)


def _printable(ch):
    o = ord(ch)
    return (
        o == 0x0A
        or 0x20 <= o <= 0x7E
        or o == 0x85
        or 0xA0 <= o <= 0xD7FF
        or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)
        or 0x10000 <= o <= 0x10FFFF
    )


def _analyze(s):
    """libyaml yaml_emitter_analyze_scalar: (block_plain_allowed, single_quoted_allowed, block_allowed)."""
    block_ind = s.startswith("---") or s.startswith("...")
    special = line_breaks = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = previous_space = previous_break = False
    preceded_ws = True
    n = len(s)
    for i, ch in enumerate(s):
        followed_ws = i + 1 >= n or s[i + 1] in " \t\r\n"
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`":
                block_ind = True
            if ch in "?:" and followed_ws:
                block_ind = True
            if ch == "-" and followed_ws:
                block_ind = True
        else:
            if ch == ":" and followed_ws:
                block_ind = True
            if ch == "#" and preceded_ws:
                block_ind = True
        if not _printable(ch):
            special = True
        if ch in "\r\n":
            line_breaks = True
        if ch == " ":
            if i == 0:
                leading_space = True
            if i == n - 1:
                trailing_space = True
            if previous_break:
                break_space = True
            previous_space, previous_break = True, False
        elif ch in "\r\n":
            if i == 0:
                leading_break = True
            if i == n - 1:
                trailing_break = True
            if previous_space:
                space_break = True
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_ws = ch in " \t\r\n"
    plain = single = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        plain = False
    if trailing_space:
        block = False
    if break_space:
        plain = single = False
    if space_break or special:
        plain = single = block = False
    if line_breaks or block_ind:
        plain = False
    return plain, single, block


def go_key_less(a, b):
    """go-yaml v2 keyList.Less: the order kubectl prints map keys in."""
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            continue
        al, bl = a[i].isalpha(), b[i].isalpha()
        if al and bl:
            return a[i] < b[i]
        if al or bl:
            return bl
        an = bn = 0
        if a[i] == "0" or b[i] == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return a[i] < b[i]
    return len(a) < len(b)


_KEY_ORDER = functools.cmp_to_key(lambda a, b: -1 if go_key_less(a, b) else (1 if go_key_less(b, a) else 0))

_ESCAPES = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f",
            "\r": "r", "\x1b": "e", '"': '"', "\\": "\\"}


class _Emitter:
    def __init__(self):
        self.done = []
        self.cur = ""

    def newline(self, indent):
        self.done.append(self.cur)
        self.cur = " " * indent

    def text(self):
        return "\n".join(self.done + [self.cur]) + "\n"

    # -- scalars ---------------------------------------------------------------------------
    def scalar(self, v, indent, after_key):
        """Write a scalar value; `indent` is where folded continuation lines start."""
        if v is None:
            self.cur += (" " if after_key else "") + "null"
        elif isinstance(v, bool):
            self.cur += (" " if after_key else "") + ("true" if v else "false")
        elif isinstance(v, int):
            self.cur += (" " if after_key else "") + str(v)
        elif isinstance(v, str):
            self._string(v, indent, after_key)
        else:
            raise TypeError("unsupported scalar %r" % (v,))

    def _string(self, s, indent, after_key):
        plain, single, block = _analyze(s)
        if "\n" in s:
            if block:
                return self._literal(s, indent, after_key)
            return self._double(s, indent, after_key)
        if s and _resolves_to_str(s) and plain:
            return self._plain(s, indent, after_key)
        if s and _resolves_to_str(s) and single:
            return self._single(s, indent, after_key)
        return self._double(s, indent, after_key)

    def _plain(self, s, indent, after_key):
        if after_key:
            self.cur += " "
        spaces = False
        for i, ch in enumerate(s):
            if ch == " ":
                nxt = s[i + 1] if i + 1 < len(s) else ""
                if not spaces and len(self.cur) > BEST_WIDTH and nxt != " ":
                    self.newline(indent)
                else:
                    self.cur += ch
                spaces = True
            else:
                self.cur += ch
                spaces = False

    def _single(self, s, indent, after_key):
        self.cur += (" " if after_key else "") + "'"
        spaces = False
        for i, ch in enumerate(s):
            if ch == " ":
                nxt = s[i + 1] if i + 1 < len(s) else ""
                if (not spaces and len(self.cur) > BEST_WIDTH and i != 0 and i != len(s) - 1
                        and nxt != " "):
                    self.newline(indent)
                else:
                    self.cur += ch
                spaces = True
            else:
                if ch == "'":
                    self.cur += "'"
                self.cur += ch
                spaces = False
        self.cur += "'"

    def _double(self, s, indent, after_key):
        self.cur += (" " if after_key else "") + '"'
        spaces = False
        for i, ch in enumerate(s):
            if ch in _ESCAPES or not _printable(ch) or ch == "\n":
                if ch in _ESCAPES:
                    self.cur += "\\" + _ESCAPES[ch]
                elif ord(ch) <= 0xFF:
                    self.cur += "\\x%02X" % ord(ch)
                elif ord(ch) <= 0xFFFF:
                    self.cur += "\\u%04X" % ord(ch)
                else:
                    self.cur += "\\U%08X" % ord(ch)
                spaces = False
            elif ch == " ":
                if not spaces and len(self.cur) > BEST_WIDTH and i != 0 and i != len(s) - 1:
                    self.newline(indent)
                    if i + 1 < len(s) and s[i + 1] == " ":
                        self.cur += "\\"
                else:
                    self.cur += ch
                spaces = True
            else:
                self.cur += ch
                spaces = False
        self.cur += '"'

    def _literal(self, s, indent, after_key):
        hint = ""
        if s[0] in " \n":
            hint += "2"
        if not s.endswith("\n"):
            hint += "-"
        elif s == "\n" or s.endswith("\n\n"):
            hint += "+"
        self.cur += (" " if after_key else "") + "|" + hint
        body = s[:-1] if s.endswith("\n") else s
        for line in body.split("\n"):
            self.done.append(self.cur)
            self.cur = (" " * indent + line) if line else ""

    # -- collections -----------------------------------------------------------------------
    def mapping(self, d, indent):
        """Write a non-empty mapping whose first key goes at the cursor (column `indent`)."""
        for i, k in enumerate(sorted(d, key=_KEY_ORDER)):
            if i:
                self.newline(indent)
            plain, single, _ = _analyze(k)
            if k and _resolves_to_str(k) and plain:
                self.cur += k
            elif k and _resolves_to_str(k) and single:
                self.cur += "'" + k.replace("'", "''") + "'"
            else:
                self.cur += json.dumps(k)
            self.cur += ":"
            self.value(d[k], indent)

    def value(self, v, key_indent):
        if isinstance(v, dict):
            if not v:
                self.cur += " {}"
            else:
                self.newline(key_indent + 2)
                self.mapping(v, key_indent + 2)
        elif isinstance(v, list):
            if not v:
                self.cur += " []"
            else:
                self.newline(key_indent)
                self.sequence(v, key_indent)
        else:
            self.scalar(v, key_indent + 2, after_key=True)

    def sequence(self, items, indent):
        for i, item in enumerate(items):
            if i:
                self.newline(indent)
            self.cur += "- "
            if isinstance(item, dict):
                if item:
                    self.mapping(item, indent + 2)
                else:
                    self.cur += "{}"
            elif isinstance(item, list):
                if item:
                    self.sequence(item, indent + 2)
                else:
                    self.cur += "[]"
            else:
                self.scalar(item, indent + 2, after_key=False)


def to_yaml(obj):
    e = _Emitter()
    e.mapping(obj, 0)
    return e.text()


def kube_list(items):
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


# ------------------------------------------------------------------------------------------
# managedFields (fieldsV1 sets derived from the object itself)

_LIST_KEYS = {
    "containers": ("name",), "initContainers": ("name",), "env": ("name",), "volumes": ("name",),
    "volumeMounts": ("mountPath",), "conditions": ("type",), "podIPs": ("ip",),
    "hostIPs": ("ip",), "ownerReferences": ("uid",), "addresses": ("type",),
    "imagePullSecrets": ("name",),
}
_NO_DOT = {"metadata", "spec", "status", "template", "strategy", "containers", "initContainers",
           "conditions", "updateStrategy", "jobTemplate"}
_ATOMIC = {"selector", "command", "args", "tolerations", "images", "subsets", "finalizers",
           "containerStatuses", "initContainerStatuses", "accessModes", "sources", "items",
           "podCIDRs", "clusterIPs", "ipFamilies", "nodeSelectorTerms", "matchFields"}


def fields_v1(v, key=None):
    if isinstance(v, dict):
        if not v or key in _ATOMIC:
            return {}
        out = {} if key in _NO_DOT else {".": {}}
        for k, x in v.items():
            out["f:" + k] = fields_v1(x, k)
        return out
    if isinstance(v, list):
        if key in _ATOMIC or not v or not isinstance(v[0], dict):
            return {}
        if key == "ports":
            names = ("containerPort", "protocol") if "containerPort" in v[0] else ("port", "protocol")
        elif key in _LIST_KEYS:
            names = _LIST_KEYS[key]
        else:
            return {}
        out = {} if key in _NO_DOT else {".": {}}
        for item in v:
            k = json.dumps({n: item[n] for n in names if n in item}, separators=(",", ":"))
            out["k:" + k] = fields_v1(item, "#item")
        return out
    return {}


def mf(manager, t, tree, api="v1", operation="Update", subresource=None):
    # top-level keys (metadata, spec, status) carry no "." entry
    e = {"apiVersion": api, "fieldsType": "FieldsV1",
         "fieldsV1": {"f:" + k: fields_v1(x, k) for k, x in tree.items()},
         "manager": manager, "operation": operation, "time": iso(t)}
    if subresource:
        e["subresource"] = subresource
    return e


def pick(d, *keys):
    return {k: d[k] for k in keys if k in d}


# ------------------------------------------------------------------------------------------
# Bundle: one cluster's collected state


class Bundle:
    def __init__(self, rel, *, cluster, context, flavor, collected_at, namespaces, server_version,
                 server_commit, server_build, go_version="go1.22.8", region=None):
        self.rel = rel
        self.cluster = cluster
        self.context = context
        self.flavor = flavor
        self.T = collected_at
        self.namespaces = namespaces
        self.server_version = server_version
        self.server_commit = server_commit
        self.server_build = server_build
        self.go_version = go_version
        self.region = region
        self.items = {}
        self.logs = {}
        self.nodes = {}
        self.node_images = {}
        self.errors = []
        self.ip_next = {}
        self.managed_fields = False

    # -- identity --------------------------------------------------------------------------
    def uid(self, *parts):
        return make_uid(self.cluster, *parts)

    def rv(self, t, *parts):
        """A resourceVersion that grows with the time of the last write."""
        return str(4_000_000 + int((t - self.T + 40 * 86400) * 2) + int(unit(self.cluster, *parts) * 2))

    def add(self, ns, resource, obj):
        self.items.setdefault((ns, resource), []).append(obj)

    def pod_ip(self, node):
        n = self.nodes[node]
        k = self.ip_next.get(node, 3 + int(unit(self.cluster, node, "ip") * 20))
        self.ip_next[node] = k + 1 + int(unit(self.cluster, node, k) * 3)
        return n["_pod_prefix"] + str(k)

    # -- writing ---------------------------------------------------------------------------
    def write(self):
        root = os.path.join(HERE, self.rel)
        manifest = {
            "format": "ktriage-bundle",
            "format_version": 1,
            "cluster": self.cluster,
            "context": self.context,
            "collected_at": iso(self.T),
            "collector": {"name": "ktriage-collect", "version": COLLECTOR_VERSION},
            "server_version": self.server_version,
            "namespaces": self.namespaces,
            "options": {"tail_lines": 1000, "since": None, "redact": True, "configmap_values": False},
            "errors": self.errors,
        }
        files = {"manifest.json": json.dumps(manifest, indent=2) + "\n"}
        version = {
            "clientVersion": KUBECTL,
            "kustomizeVersion": "v5.4.2",
            "serverVersion": {
                "buildDate": self.server_build,
                "compiler": "gc",
                "gitCommit": self.server_commit,
                "gitTreeState": "clean",
                "gitVersion": self.server_version,
                "goVersion": self.go_version,
                "major": "1",
                "minor": "31+" if "-eks-" in self.server_version else "31",
                "platform": "linux/amd64",
            },
        }
        files["cluster/version.yaml"] = to_yaml(version)
        nodes = []
        for name in sorted(self.nodes):
            n = {k: v for k, v in self.nodes[name].items() if not k.startswith("_")}
            n["status"]["images"] = self.node_images[name]
            nodes.append(n)
        files["cluster/nodes.yaml"] = to_yaml(kube_list(nodes))
        files["cluster/namespaces.yaml"] = to_yaml(kube_list(self._namespace_objects()))
        for ns in self.namespaces:
            for res in RESOURCES:
                items = sorted(self.items.get((ns, res), []), key=lambda o: o["metadata"]["name"])
                files["namespaces/%s/%s.yaml" % (ns, res)] = to_yaml(kube_list(items))
        files.update(self.logs)
        if not self.managed_fields:
            # kubectl >= 1.21 drops metadata.managedFields unless --show-managed-fields is given
            files = {rel: re.sub(r"(?m)^( *)managedFields:\n(?:\1(?:- |  ).*\n)+", "", text)
                     if rel.endswith(".yaml") else text for rel, text in files.items()}
        for rel, text in sorted(files.items()):
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)

    def _namespace_objects(self):
        born = self.birth
        out = []
        names = ["default", "kube-node-lease", "kube-public", "kube-system"]
        names += [n for n in self.namespaces if n not in names]
        for name in sorted(set(names)):
            t = born if name in ("default", "kube-node-lease", "kube-public", "kube-system") else born + 3600 + int(unit(name) * 86400)
            meta = {"creationTimestamp": iso(t), "labels": {"kubernetes.io/metadata.name": name},
                    "name": name}
            manager = "kube-apiserver" if t == born else "kubectl-create"
            meta["managedFields"] = [mf(manager, t, {"metadata": {"labels": meta["labels"]}})]
            meta["resourceVersion"] = self.rv(t, "ns", name)
            meta["uid"] = self.uid("ns", name)
            out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": meta,
                        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        return out


RESOURCES = ["pods", "events", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs",
             "cronjobs", "services", "endpoints", "persistentvolumeclaims", "networkpolicies",
             "configmaps", "secrets"]


# ------------------------------------------------------------------------------------------
# Nodes, per cloud flavour


def add_node(b, name, *, arch="amd64", zone, ip, pod_cidr, instance, created, cpu=2, mem_ki=8_024_392):
    kernel = {"eks": "6.1.112-122.189.amzn2023", "gke": "6.1.100+", "aks": "5.15.0-1074-azure",
              "kubeadm": "6.8.0-48-generic"}[b.flavor]
    if b.flavor == "eks":
        kernel += ".x86_64" if arch == "amd64" else ".aarch64"
    os_image = {"eks": "Amazon Linux 2023.6.20241031", "gke": "Container-Optimized OS from Google",
                "aks": "Ubuntu 22.04.5 LTS", "kubeadm": "Ubuntu 24.04.1 LTS"}[b.flavor]
    kubelet = {"eks": "v1.31.2-eks-94953ac", "gke": b.server_version}.get(b.flavor, "v1.31.2")
    labels = {
        "beta.kubernetes.io/arch": arch,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    annotations = {"node.alpha.kubernetes.io/ttl": "0",
                   "volumes.kubernetes.io/controller-managed-attach-detach": "true"}
    spec = {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]}
    region = b.region
    if b.flavor == "eks":
        labels.update({
            "beta.kubernetes.io/instance-type": instance,
            "eks.amazonaws.com/capacityType": "ON_DEMAND",
            "eks.amazonaws.com/nodegroup": "general-" + arch,
            "eks.amazonaws.com/nodegroup-image": "ami-0" + hexid(b.cluster, arch, "ami", n=16),
            "failure-domain.beta.kubernetes.io/region": region,
            "failure-domain.beta.kubernetes.io/zone": zone,
            "k8s.io/cloud-provider-aws": hexid(b.cluster, "cpaws", n=32),
            "node.kubernetes.io/instance-type": instance,
            "topology.kubernetes.io/region": region,
            "topology.kubernetes.io/zone": zone,
        })
        annotations["alpha.kubernetes.io/provided-node-ip"] = ip
        spec = {"providerID": "aws:///%s/i-0%s" % (zone, hexid(b.cluster, name, "i", n=16))}
    elif b.flavor == "gke":
        labels.update({
            "beta.kubernetes.io/instance-type": instance,
            "cloud.google.com/gke-boot-disk": "pd-balanced",
            "cloud.google.com/gke-container-runtime": "containerd",
            "cloud.google.com/gke-nodepool": "default-pool",
            "cloud.google.com/gke-os-distribution": "cos",
            "cloud.google.com/machine-family": instance.split("-")[0],
            "failure-domain.beta.kubernetes.io/region": region,
            "failure-domain.beta.kubernetes.io/zone": zone,
            "node.kubernetes.io/instance-type": instance,
            "topology.kubernetes.io/region": region,
            "topology.kubernetes.io/zone": zone,
        })
        annotations["container.googleapis.com/instance_id"] = str(
            1000000000000000000 + int(unit(b.cluster, name, "gce") * 8e18))
        spec["providerID"] = "gce://acme-shop/%s/%s" % (zone, name)
    elif b.flavor == "aks":
        labels.update({
            "agentpool": "nodepool1",
            "beta.kubernetes.io/instance-type": instance,
            "failure-domain.beta.kubernetes.io/region": region,
            "failure-domain.beta.kubernetes.io/zone": zone,
            "kubernetes.azure.com/agentpool": "nodepool1",
            "kubernetes.azure.com/cluster": "MC_rg-%s_%s_%s" % (b.cluster, b.cluster, region),
            "kubernetes.azure.com/mode": "system",
            "kubernetes.azure.com/node-image-version": "AKSUbuntu-2204gen2containerd-202411.03.0",
            "kubernetes.azure.com/os-sku": "Ubuntu",
            "node.kubernetes.io/instance-type": instance,
            "topology.kubernetes.io/region": region,
            "topology.kubernetes.io/zone": zone,
        })
        idx = int(name[-1])
        spec["providerID"] = (
            "azure:///subscriptions/%s/resourceGroups/mc_rg-%s_%s_%s/providers/Microsoft.Compute/"
            "virtualMachineScaleSets/%s/virtualMachines/%d"
            % (make_uid("sub", b.cluster), b.cluster, b.cluster, region, name[:-6], idx))
    else:  # kubeadm with flannel
        annotations.update({
            "flannel.alpha.coreos.com/backend-data": '{"VNI":1,"VtepMAC":"%s"}' % ":".join(
                hexid(b.cluster, name, "mac", n=12)[i:i + 2] for i in range(0, 12, 2)),
            "flannel.alpha.coreos.com/backend-type": "vxlan",
            "flannel.alpha.coreos.com/kube-subnet-manager": "true",
            "flannel.alpha.coreos.com/public-ip": ip,
            "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/containerd/containerd.sock",
        })
    pods = {"eks": "29", "gke": "110", "aks": "30", "kubeadm": "110"}[b.flavor]
    disk_ki = 101_430_960
    cpu_alloc = "%dm" % (cpu * 1000 - 70 - 10 * cpu) if b.flavor != "kubeadm" else str(cpu)
    hb = b.T - 7 - int(unit(b.cluster, name, "hb") * 40)
    cond = lambda typ, status, reason, msg, since: {
        "lastHeartbeatTime": iso(hb), "lastTransitionTime": iso(since), "message": msg,
        "reason": reason, "status": status, "type": typ}
    conditions = []
    if b.flavor == "kubeadm":
        conditions.append({"lastHeartbeatTime": iso(created + 31), "lastTransitionTime": iso(created + 31),
                           "message": "Flannel is running on this node", "reason": "FlannelIsUp",
                           "status": "False", "type": "NetworkUnavailable"})
    conditions += [
        cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", created),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", created),
        cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", created),
        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status", created + 24),
    ]
    addresses = [{"address": ip, "type": "InternalIP"}]
    if b.flavor == "eks":
        addresses += [{"address": name, "type": "InternalDNS"}, {"address": name, "type": "Hostname"}]
    else:
        addresses += [{"address": name, "type": "Hostname"}]
    status = {
        "addresses": addresses,
        "allocatable": {"cpu": cpu_alloc, "ephemeral-storage": str(int(disk_ki * 1024 * 0.9)),
                        "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                        "memory": "%dKi" % (mem_ki - 720_000), "pods": pods},
        "capacity": {"cpu": str(cpu), "ephemeral-storage": "%dKi" % disk_ki, "hugepages-1Gi": "0",
                     "hugepages-2Mi": "0", "memory": "%dKi" % mem_ki, "pods": pods},
        "conditions": conditions,
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "architecture": arch,
            "bootID": make_uid(b.cluster, name, "boot"),
            "containerRuntimeVersion": "containerd://1.7.22",
            "kernelVersion": kernel,
            "kubeProxyVersion": kubelet,
            "kubeletVersion": kubelet,
            "machineID": hexid(b.cluster, name, "machine", n=32),
            "operatingSystem": "linux",
            "osImage": os_image,
            "systemUUID": ("ec2" + hexid(b.cluster, name, "sys", n=5) + "-" + make_uid(b.cluster, name, "sys")[9:]
                           if b.flavor == "eks" else make_uid(b.cluster, name, "sys")),
        },
        "runtimeHandlers": [
            {"features": {"recursiveReadOnlyMounts": True, "userNamespaces": True}, "name": "runc"},
            {"features": {"recursiveReadOnlyMounts": True, "userNamespaces": True}, "name": ""},
        ],
    }
    meta = {"annotations": annotations, "creationTimestamp": iso(created), "labels": labels,
            "name": name, "resourceVersion": b.rv(b.T - 20, "node", name), "uid": b.uid("node", name)}
    meta["managedFields"] = [
        mf("kubelet", created, {"metadata": {"annotations": pick(annotations, "volumes.kubernetes.io/controller-managed-attach-detach",
                                                                  "alpha.kubernetes.io/provided-node-ip"),
                                             "labels": labels}}),
        mf("kube-controller-manager", created + 2, {"metadata": {"annotations": pick(annotations, "node.alpha.kubernetes.io/ttl")},
                                                    "spec": pick(spec, "podCIDR", "podCIDRs")}),
        mf("kubelet", hb, {"status": pick(status, "allocatable", "capacity", "conditions", "daemonEndpoints",
                                          "images", "nodeInfo", "runtimeHandlers")}, subresource="status"),
    ]
    node = {"apiVersion": "v1", "kind": "Node", "metadata": meta, "spec": spec, "status": status}
    prefix = pod_cidr.rsplit(".", 1)[0] + "."
    node["_pod_prefix"] = prefix
    node["_arch"] = arch
    b.nodes[name] = node
    pause = {"eks": "602401143452.dkr.ecr.%s.amazonaws.com/eks/pause" % (region or "us-east-1"),
             "gke": "gke.gcr.io/pause", "aks": "mcr.microsoft.com/oss/kubernetes/pause",
             "kubeadm": "registry.k8s.io/pause"}[b.flavor]
    b.node_images[name] = [{"names": ["%s@sha256:%s" % (pause, hexid("img", pause)), pause + ":3.10"],
                            "sizeBytes": 320368}]
    return name


def note_image(b, node, image):
    full = normalize_image(image)
    repo = full.rsplit(":", 1)[0]
    entry = {"names": ["%s@sha256:%s" % (repo, hexid("img", full)), full],
             "sizeBytes": 2_000_000 + int(unit("size", full) * 180_000_000)}
    imgs = b.node_images[node]
    if entry not in imgs:
        imgs.insert(len(imgs) - 1, entry)
        imgs.sort(key=lambda e: -e["sizeBytes"])


def normalize_image(image):
    name = image
    first = name.split("/")[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif "." not in first and ":" not in first and first != "localhost":
        name = "docker.io/" + name
    return name


def image_id(image):
    full = normalize_image(image)
    return "%s@sha256:%s" % (full.rsplit(":", 1)[0], hexid("img", full))


# ------------------------------------------------------------------------------------------
# Container and pod specs


REDACT_ENV = re.compile(r"(?i)(password|passwd|secret|token|key|credential|auth)")


def env(name, value=None, *, secret=None, configmap=None, field=None):
    e = {"name": name}
    if secret:
        e["valueFrom"] = {"secretKeyRef": {"key": secret[1], "name": secret[0]}}
    elif configmap:
        e["valueFrom"] = {"configMapKeyRef": {"key": configmap[1], "name": configmap[0]}}
    elif field:
        e["valueFrom"] = {"fieldRef": {"apiVersion": "v1", "fieldPath": field}}
    else:
        # the collector replaces literal values of sensitive-looking names (docs/design.md section 2)
        e["value"] = "<redacted>" if REDACT_ENV.search(name) else value
    return e


def http_probe(path, port, *, initial=None, period=10, timeout=1, failure=3):
    p = {"failureThreshold": failure, "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
         "periodSeconds": period, "successThreshold": 1, "timeoutSeconds": timeout}
    if initial:
        p["initialDelaySeconds"] = initial
    return p


def exec_probe(command, *, initial=None, period=10, timeout=1, failure=3):
    p = {"exec": {"command": command}, "failureThreshold": failure, "periodSeconds": period,
         "successThreshold": 1, "timeoutSeconds": timeout}
    if initial:
        p["initialDelaySeconds"] = initial
    return p


def tcp_probe(port, *, initial=None, period=10, timeout=1, failure=3):
    p = {"failureThreshold": failure, "periodSeconds": period, "successThreshold": 1,
         "tcpSocket": {"port": port}, "timeoutSeconds": timeout}
    if initial:
        p["initialDelaySeconds"] = initial
    return p


def res(req_cpu=None, req_mem=None, lim_cpu=None, lim_mem=None):
    r = {}
    lim = {k: v for k, v in (("cpu", lim_cpu), ("memory", lim_mem)) if v}
    req = {k: v for k, v in (("cpu", req_cpu), ("memory", req_mem)) if v}
    if lim:
        r["limits"] = lim
    if req:
        r["requests"] = req
    return r


def container(name, image, *, command=None, args=None, env_=None, ports=None, resources=None,
              liveness=None, readiness=None, startup=None, mounts=None, pull="IfNotPresent",
              message_policy="File", security=None):
    c = {"image": image, "imagePullPolicy": pull, "name": name, "resources": resources or {},
         "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": message_policy}
    if command:
        c["command"] = command
    if args:
        c["args"] = args
    if env_:
        c["env"] = env_
    if ports:
        c["ports"] = [{"containerPort": p, "name": n, "protocol": "TCP"} for n, p in ports]
    if liveness:
        c["livenessProbe"] = liveness
    if readiness:
        c["readinessProbe"] = readiness
    if startup:
        c["startupProbe"] = startup
    if mounts:
        c["volumeMounts"] = [dict(m) for m in mounts]
    if security:
        c["securityContext"] = security
    return c


def mount(name, path, read_only=False, sub_path=None):
    m = {"mountPath": path, "name": name}
    if read_only:
        m["readOnly"] = True
    if sub_path:
        m["subPath"] = sub_path
    return m


def pod_template_spec(containers, *, init=None, volumes=None, sa=None, restart="Always", grace=30,
                      security=None, node_selector=None, extra=None):
    s = {"containers": containers, "dnsPolicy": "ClusterFirst", "restartPolicy": restart,
         "schedulerName": "default-scheduler", "securityContext": security or {},
         "terminationGracePeriodSeconds": grace}
    if init:
        s["initContainers"] = init
    if volumes:
        s["volumes"] = volumes
    if sa:
        s["serviceAccount"] = sa
        s["serviceAccountName"] = sa
    if node_selector:
        s["nodeSelector"] = node_selector
    if extra:
        s.update(extra)
    return s


def api_access_volume(name):
    return {"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
        {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    "path": "namespace"}]}},
    ]}}


DEFAULT_TOLERATIONS = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300},
]
DAEMONSET_TOLERATIONS = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists"},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/disk-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/memory-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/pid-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/unschedulable", "operator": "Exists"},
]


# ------------------------------------------------------------------------------------------
# Container timelines (what the kubelet would have done)


class Timeline:
    """Instances of one container: [(start, finish)] terminated, then running or waiting."""

    def __init__(self, instances, state, current_start=None, backoff=None, waits=()):
        self.instances = instances
        self.state = state  # "running" | "waiting"
        self.current_start = current_start
        self.backoff = backoff
        self.waits = list(waits)

    @property
    def restarts(self):
        return len(self.instances) - (1 if self.state == "waiting" else 0)

    @property
    def starts(self):
        return [s for s, _ in self.instances] + ([self.current_start] if self.state == "running" else [])


def crash_loop(T, restarts, ago, runtime, salt):
    """A container in CrashLoopBackOff at T after `restarts` restarts, its last instance having exited
    `ago` seconds before T, instance k having run runtime(k) seconds. Built backwards.

    pkg/kubelet/kuberuntime doBackOff + client-go flowcontrol.Backoff(10s, 5m): the first crash restarts
    at once and arms a 10s back-off; each later crash waits the current back-off, then doubles it (cap
    5m). So after R restarts `waiting.message` says back-off min(5m, 10s * 2^(R-1)).
    """
    backoff = min(300, 10 * 2 ** (restarts - 1))
    assert restarts >= 1 and ago < backoff, (restarts, ago)
    finish = T - ago
    instances, waits = [], [(finish, T)]
    for k in range(restarts + 1, 0, -1):
        rt = runtime(k)
        if rt < 1 and int(finish - rt) != int(finish):
            finish = int(finish) + rt + 0.002  # keep sub-second runs inside one second, as most are
        start = finish - rt
        instances.append((start, finish))
        if k > 1:
            crash = k - 1  # the failure before instance k
            wait = 0 if crash == 1 else min(300, 10 * 2 ** (crash - 2))
            finish = start - (0.6 + unit(salt, "sync", crash) * 1.4) - wait
            if wait:
                waits.append((finish, finish + wait))
    instances.reverse()
    waits.reverse()
    return Timeline(instances, "waiting", backoff=backoff, waits=waits)


def long_runs(last_finish, restarts, runtime, salt):
    """A container that dies after running for more than 10 minutes each time: the kubelet's back-off
    entry has expired by then, so every restart is immediate and the container is rarely seen waiting.
    Built backwards from the last termination."""
    instances, finish = [], last_finish
    for k in range(restarts, 0, -1):
        start = finish - runtime(k)
        instances.append((start, finish))
        finish = start - (0.6 + unit(salt, "sync", k) * 1.4)
    instances.reverse()
    return Timeline(instances, "running", current_start=last_finish + 0.6 + unit(salt, "last") * 1.4)


class Running:
    def __init__(self, started, restarts=0, last=None):
        self.started, self.restarts, self.last = started, restarts, last


class Loop:
    """A container restarting in place; `timeline` from crash_loop() or long_runs()."""

    def __init__(self, timeline, reason, exit_code, message=None, logs=None):
        self.timeline, self.reason, self.exit_code = timeline, reason, exit_code
        self.message = message
        self.logs = logs  # fn(start, end) -> [(t, text)]


class Initializing:
    """An app container waiting for init containers (PodInitializing)."""


class Done:
    def __init__(self, started, finished):
        self.started, self.finished = started, finished


def cid(b, pod, cname, k):
    return "containerd://" + hexid(b.cluster, pod, cname, k)


def term(b, pod, cname, k, start, finish, reason, code, message=None):
    t = {"containerID": cid(b, pod, cname, k), "exitCode": code, "finishedAt": iso(finish),
         "reason": reason, "startedAt": iso(start)}
    if message:
        t["message"] = message
    return t


def status_mounts(c):
    out = []
    for m in c.get("volumeMounts", []):
        s = {"mountPath": m["mountPath"], "name": m["name"]}
        if m.get("readOnly"):
            s["readOnly"] = True
            s["recursiveReadOnly"] = "Disabled"
        out.append(s)
    return out


def container_status(b, pod, c, st, ready):
    name, image = c["name"], c["image"]
    s = {"image": normalize_image(image), "imageID": image_id(image), "name": name}
    if isinstance(st, Running):
        k = st.restarts
        s.update(containerID=cid(b, pod, name, k), lastState={}, ready=ready,
                 restartCount=st.restarts, started=True, state={"running": {"startedAt": iso(st.started)}})
        if st.last:
            s["lastState"] = {"terminated": st.last}
    elif isinstance(st, Loop):
        tl = st.timeline
        n = len(tl.instances)
        start, finish = tl.instances[-1]
        last = term(b, pod, name, n - 1, start, finish, st.reason, st.exit_code,
                    st.message(start, finish) if st.message else None)
        s.update(lastState={"terminated": last}, restartCount=tl.restarts)
        if tl.state == "waiting":
            s.update(containerID=last["containerID"], ready=False, started=False, state={"waiting": {
                "message": "back-off %s restarting failed container=%s pod=%s_%s(%s)" % (
                    go_duration(tl.backoff), name, pod, b._pod_ns[pod], b._pod_uid[pod]),
                "reason": "CrashLoopBackOff"}})
        else:
            s.update(containerID=cid(b, pod, name, n), ready=ready, started=True,
                     state={"running": {"startedAt": iso(tl.current_start)}})
    elif isinstance(st, Initializing):
        s.update(imageID="", lastState={}, ready=False, restartCount=0, started=False,
                 state={"waiting": {"reason": "PodInitializing"}})
        return s
    elif isinstance(st, Done):
        s.update(containerID=cid(b, pod, name, 0), lastState={}, ready=False, restartCount=0, started=False,
                 state={"terminated": term(b, pod, name, 0, st.started, st.finished, "Completed", 0)})
    s["volumeMounts"] = status_mounts(c)
    return s


def cond(typ, status, t, reason=None, message=None):
    c = {"lastProbeTime": None, "lastTransitionTime": iso(t), "status": status, "type": typ}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def make_pod(b, ns, name, *, owner, labels, spec, node, created, statuses, init_statuses=None,
             annotations=None, ready_since=None, generate_name=None, phase=None, status_changed=None,
             sa_volume=True, finished=None):
    """Build a Pod the way the API returns it after admission, scheduling and kubelet updates."""
    uid = b.uid("pod", ns, name)
    b._pod_ns[name] = ns
    b._pod_uid[name] = uid
    spec = json.loads(json.dumps(spec))
    sa = spec.get("serviceAccountName", "default")
    vol = "kube-api-access-" + safe(5, b.cluster, name, "kaa")
    if sa_volume:
        for c in spec.get("initContainers", []) + spec["containers"]:
            c.setdefault("volumeMounts", []).append(
                {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": vol, "readOnly": True})
        spec.setdefault("volumes", []).append(api_access_volume(vol))
    spec.update(enableServiceLinks=True, nodeName=node, preemptionPolicy="PreemptLowerPriority",
                priority=0, serviceAccount=sa, serviceAccountName=sa)
    spec.setdefault("tolerations", []).extend(DEFAULT_TOLERATIONS if owner[0] != "DaemonSet" else [])
    if not spec["tolerations"]:
        del spec["tolerations"]
    start = created + 1
    ip = b.pod_ip(node) if not spec.get("hostNetwork") else b.nodes[node]["status"]["addresses"][0]["address"]
    host_ip = b.nodes[node]["status"]["addresses"][0]["address"]

    init_specs = spec.get("initContainers", [])
    init_statuses = init_statuses or {}
    cstat = []
    all_ready = True
    for c in spec["containers"]:
        st = statuses[c["name"]]
        r = isinstance(st, Running) or (isinstance(st, Loop) and st.timeline.state == "running")
        all_ready &= r
        cstat.append(container_status(b, name, c, st, r))
    istat = [container_status(b, name, c, init_statuses[c["name"]], False) for c in init_specs]
    for c in init_specs:
        st = init_statuses[c["name"]]
        if isinstance(st, Done):
            for s in istat:
                if s["name"] == c["name"]:
                    s["ready"] = True
    for c in spec.get("initContainers", []) + spec["containers"]:
        note_image(b, node, c["image"])

    initialized = all(isinstance(init_statuses[c["name"]], Done) for c in init_specs)
    init_done = max([init_statuses[c["name"]].finished for c in init_specs
                     if isinstance(init_statuses[c["name"]], Done)] or [start + 1])
    not_ready = [c["name"] for c, s in zip(spec["containers"], cstat) if not s["ready"]]
    succeeded = phase == "Succeeded"
    conds = [cond("PodReadyToStartContainers", "False" if succeeded else "True",
                  finished + 1 if succeeded else start + 1)]
    if initialized:
        conds.append(cond("Initialized", "True", init_done + 1 if init_specs else start))
    else:
        waiting = [c["name"] for c in init_specs if not isinstance(init_statuses[c["name"]], Done)]
        conds.append(cond("Initialized", "False", start, "ContainersNotInitialized",
                          "containers with incomplete status: [%s]" % " ".join(waiting)))
    if succeeded:
        conds += [cond("Ready", "False", finished, "PodCompleted"),
                  cond("ContainersReady", "False", finished, "PodCompleted")]
    elif not_ready:
        msg = "containers with unready status: [%s]" % " ".join(not_ready)
        since = ready_since or start
        conds += [cond("Ready", "False", since, "ContainersNotReady", msg),
                  cond("ContainersReady", "False", since, "ContainersNotReady", msg)]
    else:
        since = ready_since or start + 5
        conds += [cond("Ready", "True", since), cond("ContainersReady", "True", since)]
    conds.append(cond("PodScheduled", "True", created))

    requests = [c["resources"] for c in spec["containers"]]
    if all(r.get("limits") and r.get("requests") == r.get("limits") for r in requests):
        qos = "Guaranteed"
    elif any(r for r in requests):
        qos = "Burstable"
    else:
        qos = "BestEffort"
    status = {"conditions": conds, "containerStatuses": cstat, "hostIP": host_ip,
              "hostIPs": [{"ip": host_ip}],
              "phase": phase or ("Running" if initialized else "Pending"),
              "podIP": ip, "podIPs": [{"ip": ip}], "qosClass": qos, "startTime": iso(start)}
    if istat:
        status["initContainerStatuses"] = istat
    if succeeded:
        del status["podIP"], status["podIPs"]

    kind, oname, ouid = owner
    meta = {"creationTimestamp": iso(created), "labels": labels, "name": name, "namespace": ns,
            "ownerReferences": [{"apiVersion": "batch/v1" if kind == "Job" else "apps/v1",
                                 "blockOwnerDeletion": True, "controller": True, "kind": kind,
                                 "name": oname, "uid": ouid}],
            "uid": uid}
    if generate_name:
        meta["generateName"] = generate_name
    if annotations:
        meta["annotations"] = annotations
    if status_changed:
        changed = status_changed
    elif any(isinstance(s, Loop) for s in list(statuses.values()) + list(init_statuses.values())):
        changed = b.T - 2 - int(unit(b.cluster, name, "chg") * 20)
    else:
        changed = max(start + 10, ready_since or 0)
    manager_spec = {k: v for k, v in spec.items()
                    if k not in ("nodeName", "preemptionPolicy", "priority", "enableServiceLinks")}
    meta_fields = pick(meta, "annotations", "generateName", "labels", "ownerReferences")
    meta["managedFields"] = [
        mf({"StatefulSet": "kube-controller-manager", "DaemonSet": "kube-controller-manager"}.get(kind, "kube-controller-manager"),
           created, {"metadata": meta_fields, "spec": manager_spec}),
        mf("kubelet", changed, {"status": {k: v for k, v in status.items()
                                           if k not in ("qosClass",)}}, subresource="status"),
    ]
    meta["resourceVersion"] = b.rv(changed, "pod", name)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}
    b.add(ns, "pods", pod)
    return pod


# ------------------------------------------------------------------------------------------
# Events (core/v1, as kubelet, controllers and the scheduler record them)


def add_event(b, ns, obj, reason, message, first, last=None, count=1, typ="Normal", field=None,
              component="kubelet", host=None, api="v1"):
    last = first if last is None else last
    if last < b.T - 3600:  # events expire one hour after their last update
        return
    kind, name, uid = obj
    name_ev = "%s.%x" % (name, int(first * 1e9) + int(unit(b.cluster, name, reason, message) * 1e6))
    inv = {"apiVersion": api, "kind": kind, "name": name, "namespace": ns,
           "resourceVersion": b.rv(first, "inv", name), "uid": uid}
    if field:
        inv["fieldPath"] = field
    ev = {"apiVersion": "v1", "count": count, "eventTime": None, "firstTimestamp": iso(first),
          "involvedObject": inv, "kind": "Event", "lastTimestamp": iso(last), "message": message,
          "reason": reason, "reportingComponent": component, "reportingInstance": host or "",
          "source": {"component": component}, "type": typ}
    if host:
        ev["source"]["host"] = host
    meta = {"creationTimestamp": iso(first), "name": name_ev, "namespace": ns,
            "resourceVersion": b.rv(last, "ev", name_ev), "uid": b.uid("event", name_ev)}
    meta["managedFields"] = [mf(component, last, {k: ev[k] for k in (
        "count", "firstTimestamp", "involvedObject", "lastTimestamp", "message", "reason",
        "reportingComponent", "reportingInstance", "source", "type")})]
    ev["metadata"] = meta
    b.add(ns, "events", ev)


def add_scheduled(b, ns, pod, node, t):
    """Scheduler events come through events.k8s.io/v1: eventTime set, the legacy fields empty."""
    if t < b.T - 3600:
        return
    name = pod["metadata"]["name"]
    ev_name = "%s.%x" % (name, int(t * 1e9) + int(unit(name, "sched") * 1e6))
    ev = {"action": "Binding", "apiVersion": "v1", "eventTime": iso_micro(t, name),
          "firstTimestamp": None, "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": name,
                                                      "namespace": ns, "resourceVersion": b.rv(t, "inv", name),
                                                      "uid": pod["metadata"]["uid"]},
          "kind": "Event", "lastTimestamp": None,
          "message": "Successfully assigned %s/%s to %s" % (ns, name, node), "reason": "Scheduled",
          "reportingComponent": "default-scheduler",
          "reportingInstance": "default-scheduler-" + b._scheduler_host, "source": {}, "type": "Normal"}
    meta = {"creationTimestamp": iso(t), "name": ev_name, "namespace": ns,
            "resourceVersion": b.rv(t, "ev", ev_name), "uid": b.uid("event", ev_name)}
    meta["managedFields"] = [mf("kube-scheduler", t, {k: ev[k] for k in (
        "action", "eventTime", "reason", "reportingComponent", "reportingInstance", "type")},
        api="events.k8s.io/v1")]
    meta["managedFields"][0]["fieldsV1"].update({"f:note": {}, "f:regarding": {}, "f:reportingController": {}})
    for k in ("f:involvedObject", "f:message", "f:reportingComponent"):
        meta["managedFields"][0]["fieldsV1"].pop(k, None)
    ev["metadata"] = meta
    b.add(ns, "events", ev)


def container_events(b, ns, pod, c, st, *, init=False):
    """Pulled/Created/Started for every instance, BackOff while waiting."""
    name = pod["metadata"]["name"]
    obj = ("Pod", name, pod["metadata"]["uid"])
    node = pod["spec"]["nodeName"]
    field = "spec.%s{%s}" % ("initContainers" if init else "containers", c["name"])
    if isinstance(st, Loop):
        starts = st.timeline.starts
    elif isinstance(st, Running):
        starts = [st.started]
    elif isinstance(st, Done):
        starts = [st.started]
    else:
        return
    cname = c["name"]
    n = len(starts)
    img = c["image"]
    add_event(b, ns, obj, "Pulled", 'Container image "%s" already present on machine' % img,
              starts[0] - 0.6, starts[-1] - 0.6, n, field=field, host=node)
    add_event(b, ns, obj, "Created", "Created container " + cname, starts[0] - 0.4, starts[-1] - 0.4, n,
              field=field, host=node)
    add_event(b, ns, obj, "Started", "Started container " + cname, starts[0], starts[-1], n,
              field=field, host=node)
    if isinstance(st, Loop) and st.timeline.waits:
        waits = st.timeline.waits
        count = sum(max(1, int((e - s) // 10)) for s, e in waits)
        last = min(waits[-1][1], b.T) - 2 - int(unit(name, cname, "bo") * 6)
        add_event(b, ns, obj, "BackOff", "Back-off restarting failed container %s in pod %s_%s(%s)" % (
            cname, name, ns, pod["metadata"]["uid"]), waits[0][0] + 1, last, count, typ="Warning",
            field=field, host=node)


# ------------------------------------------------------------------------------------------
# Workload controllers


HELM = "helm"


def helm_labels(app, chart_version="1.0.0", part_of="shop"):
    return {"app": app, "app.kubernetes.io/instance": app, "app.kubernetes.io/managed-by": "Helm",
            "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": part_of,
            "helm.sh/chart": "%s-%s" % (app, chart_version)}


def helm_annotations(release, ns):
    return {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": ns}


def deployment(b, ns, name, *, template_spec, pods, created, replicas=None, revision=1,
               progressing=None, labels=None, selector=None, pod_labels=None, release=None,
               template_annotations=None, strategy=None):
    """A Deployment, its current ReplicaSet, and one Pod per entry of `pods`.

    Each entry of `pods` is a dict(node, created, statuses, init_statuses?, ready_since?, status_changed?).
    """
    replicas = len(pods) if replicas is None else replicas
    selector = selector or {"app": name}
    labels = labels if labels is not None else helm_labels(name)
    pod_labels = dict(pod_labels or selector)
    tmpl_hash = safe(10, b.cluster, ns, name, "template", revision)
    dep_uid = b.uid("deploy", ns, name)
    rs_name = "%s-%s" % (name, tmpl_hash)
    rs_uid = b.uid("rs", ns, rs_name)
    rs_created = created
    template = {"metadata": {"creationTimestamp": None, "labels": pod_labels}, "spec": template_spec}
    if template_annotations:
        template["metadata"]["annotations"] = template_annotations
    strategy = strategy or {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"}

    made = []
    for i, p in enumerate(pods):
        pname = "%s-%s" % (rs_name, safe(5, b.cluster, rs_name, i))
        pod = make_pod(b, ns, pname, owner=("ReplicaSet", rs_name, rs_uid),
                       labels=dict(pod_labels, **{"pod-template-hash": tmpl_hash}),
                       annotations=template_annotations,
                       spec=template_spec, node=p["node"], created=p["created"], statuses=p["statuses"],
                       init_statuses=p.get("init_statuses"), ready_since=p.get("ready_since"),
                       generate_name=rs_name + "-", status_changed=p.get("status_changed"))
        made.append(pod)

    ready = sum(1 for pod in made if all(s["ready"] for s in pod["status"]["containerStatuses"]))
    last_change = max([p["created"] for p in pods] + [rs_created])
    rs_status = {"fullyLabeledReplicas": replicas, "observedGeneration": 1, "replicas": replicas}
    if ready:
        rs_status.update(availableReplicas=ready, readyReplicas=ready)
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {
        "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas),
                        "deployment.kubernetes.io/max-replicas": str(replicas + max(1, (replicas + 3) // 4)),
                        "deployment.kubernetes.io/revision": str(revision)},
        "creationTimestamp": iso(rs_created), "generation": 1,
        "labels": dict(pod_labels, **{"pod-template-hash": tmpl_hash}), "name": rs_name, "namespace": ns,
        "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True,
                             "kind": "Deployment", "name": name, "uid": dep_uid}],
        "uid": rs_uid},
        "spec": {"replicas": replicas, "selector": {"matchLabels": dict(selector, **{"pod-template-hash": tmpl_hash})},
                 "template": {"metadata": dict(template["metadata"], labels=dict(pod_labels, **{"pod-template-hash": tmpl_hash})),
                              "spec": template_spec}},
        "status": rs_status}
    rsm = rs["metadata"]
    rs_changed = max(last_change, b.T - 600) if ready < replicas else last_change + 30
    rsm["managedFields"] = [
        mf("kube-controller-manager", rs_created, {"metadata": pick(rsm, "annotations", "labels", "ownerReferences"),
                                                   "spec": rs["spec"]}, api="apps/v1"),
        mf("kube-controller-manager", rs_changed, {"status": rs_status}, api="apps/v1", subresource="status"),
    ]
    rsm["resourceVersion"] = b.rv(rs_changed, "rs", rs_name)
    b.add(ns, "replicasets", rs)

    unavailable = replicas - ready
    max_unavailable = replicas // 4
    avail_ok = unavailable <= max_unavailable
    first_ready = min([p.get("ready_since") or p["created"] + 8 for p in pods] or [created + 8])
    conds = [{"lastTransitionTime": iso(created + 8 if avail_ok else last_change + 1),
              "lastUpdateTime": iso(created + 8 if avail_ok else last_change + 1),
              "message": "Deployment has minimum availability." if avail_ok else "Deployment does not have minimum availability.",
              "reason": "MinimumReplicasAvailable" if avail_ok else "MinimumReplicasUnavailable",
              "status": "True" if avail_ok else "False", "type": "Available"}]
    if progressing == "deadline":
        t = rs_created + 601
        conds.append({"lastTransitionTime": iso(t), "lastUpdateTime": iso(t),
                      "message": 'ReplicaSet "%s" has timed out progressing.' % rs_name,
                      "reason": "ProgressDeadlineExceeded", "status": "False", "type": "Progressing"})
    else:
        conds.append({"lastTransitionTime": iso(rs_created), "lastUpdateTime": iso(max(rs_created, first_ready)),
                      "message": 'ReplicaSet "%s" has successfully progressed.' % rs_name,
                      "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"})
    status = {"conditions": conds, "observedGeneration": revision, "replicas": replicas,
              "updatedReplicas": replicas}
    if ready:
        status.update(availableReplicas=ready, readyReplicas=ready)
    if unavailable:
        status["unavailableReplicas"] = unavailable
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
        "annotations": dict(helm_annotations(release or name, ns), **{"deployment.kubernetes.io/revision": str(revision)}),
        "creationTimestamp": iso(created), "generation": revision, "labels": labels, "name": name,
        "namespace": ns, "uid": dep_uid},
        "spec": {"progressDeadlineSeconds": 600, "replicas": replicas, "revisionHistoryLimit": 10,
                 "selector": {"matchLabels": selector}, "strategy": strategy, "template": template},
        "status": status}
    dm = dep["metadata"]
    dep_changed = rs_changed
    dm["managedFields"] = [
        mf(HELM, rs_created, {"metadata": {"annotations": helm_annotations(release or name, ns), "labels": labels},
                              "spec": dep["spec"]}, api="apps/v1"),
        mf("kube-controller-manager", dep_changed, {"metadata": {"annotations": {"deployment.kubernetes.io/revision": "1"}},
                                                     "status": status}, api="apps/v1", subresource="status"),
    ]
    dm["resourceVersion"] = b.rv(dep_changed, "deploy", name)
    b.add(ns, "deployments", dep)
    for p, pod in zip(pods, made):
        add_scheduled(b, ns, pod, p["node"], p["created"])
        add_event(b, ns, ("ReplicaSet", rs_name, rs_uid), "SuccessfulCreate",
                  "Created pod: " + pod["metadata"]["name"], p["created"], component="replicaset-controller",
                  api="apps/v1")
    if rs_created >= b.T - 3600:
        add_event(b, ns, ("Deployment", name, dep_uid), "ScalingReplicaSet",
                  "Scaled up replica set %s to %d" % (rs_name, replicas), rs_created,
                  component="deployment-controller", api="apps/v1")
    for p, pod in zip(pods, made):
        for c in template_spec.get("initContainers", []):
            container_events(b, ns, pod, c, p["init_statuses"][c["name"]], init=True)
        for c in template_spec["containers"]:
            container_events(b, ns, pod, c, p["statuses"][c["name"]])
    return made


def statefulset(b, ns, name, *, template_spec, pods, created, replicas=None, service_name, labels=None,
                claim=None, scaled_down_at=None):
    replicas = len(pods) if replicas is None else replicas
    selector = {"app": name}
    labels = labels or helm_labels(name)
    rev = "%s-%s" % (name, safe(10, b.cluster, ns, name, "rev"))
    uid = b.uid("sts", ns, name)
    spec = {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "podManagementPolicy": "OrderedReady", "replicas": replicas, "revisionHistoryLimit": 10,
            "selector": {"matchLabels": selector}, "serviceName": service_name,
            "template": {"metadata": {"creationTimestamp": None, "labels": selector}, "spec": template_spec},
            "updateStrategy": {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"}}
    if claim:
        spec["volumeClaimTemplates"] = [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                         "metadata": {"creationTimestamp": None, "name": claim[0]},
                                         "spec": {"accessModes": ["ReadWriteOnce"],
                                                  "resources": {"requests": {"storage": claim[1]}},
                                                  "volumeMode": "Filesystem"},
                                         "status": {"phase": "Pending"}}]
    made = []
    for i, p in enumerate(pods):
        pname = "%s-%d" % (name, i)
        pspec = json.loads(json.dumps(template_spec))
        pspec.update(hostname=pname, subdomain=service_name)
        if claim:
            pspec.setdefault("volumes", []).insert(0, {"name": claim[0], "persistentVolumeClaim": {
                "claimName": "%s-%s" % (claim[0], pname)}})
        made.append(make_pod(b, ns, pname, owner=("StatefulSet", name, uid),
                             labels=dict(selector, **{"apps.kubernetes.io/pod-index": str(i),
                                                      "controller-revision-hash": rev,
                                                      "statefulset.kubernetes.io/pod-name": pname}),
                             spec=pspec, node=p["node"], created=p["created"], statuses=p["statuses"],
                             generate_name=name + "-"))
    ready = len(made)
    status = {"availableReplicas": ready, "collisionCount": 0, "currentRevision": rev,
              "observedGeneration": 2 if scaled_down_at else 1, "replicas": ready, "updateRevision": rev}
    if ready:  # omitempty
        status.update(currentReplicas=ready, readyReplicas=ready, updatedReplicas=ready)
    changed = scaled_down_at or created + 40
    meta = {"annotations": helm_annotations(name, ns), "creationTimestamp": iso(created),
            "generation": 2 if scaled_down_at else 1, "labels": labels, "name": name, "namespace": ns,
            "uid": uid}
    meta["managedFields"] = [mf(HELM, created, {"metadata": pick(meta, "annotations", "labels"),
                                                "spec": {k: v for k, v in spec.items() if k != "replicas"}},
                                api="apps/v1")]
    if scaled_down_at:
        meta["managedFields"].append(mf("kubectl", scaled_down_at, {"spec": {"replicas": 0}}, api="apps/v1",
                                        subresource="scale"))
    meta["managedFields"].append(mf("kube-controller-manager", changed + 2, {"status": status}, api="apps/v1",
                                    subresource="status"))
    meta["resourceVersion"] = b.rv(changed + 2, "sts", name)
    b.add(ns, "statefulsets", {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta,
                               "spec": spec, "status": status})
    for p, pod in zip(pods, made):
        for c in template_spec["containers"]:
            container_events(b, ns, pod, c, p["statuses"][c["name"]])
    return uid


def daemonset(b, ns, name, *, template_spec, nodes, created, labels=None, release=None):
    selector = {"app.kubernetes.io/name": name}
    labels = labels or dict(helm_labels(name, part_of=release or name))
    rev = safe(10, b.cluster, ns, name, "dsrev")
    uid = b.uid("ds", ns, name)
    made = []
    for node, pcreated in nodes:
        pname = "%s-%s" % (name, safe(5, b.cluster, name, node))
        pspec = json.loads(json.dumps(template_spec))
        pspec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}
        pspec["tolerations"] = pspec.get("tolerations", []) + DAEMONSET_TOLERATIONS
        made.append(make_pod(b, ns, pname, owner=("DaemonSet", name, uid),
                             labels=dict(selector, **{"controller-revision-hash": rev, "pod-template-generation": "1"}),
                             spec=pspec, node=node, created=pcreated,
                             statuses={c["name"]: Running(pcreated + 3) for c in template_spec["containers"]},
                             generate_name=name + "-"))
    n = len(nodes)
    status = {"currentNumberScheduled": n, "desiredNumberScheduled": n, "numberAvailable": n,
              "numberMisscheduled": 0, "numberReady": n, "observedGeneration": 1, "updatedNumberScheduled": n}
    spec = {"revisionHistoryLimit": 10, "selector": {"matchLabels": selector},
            "template": {"metadata": {"creationTimestamp": None, "labels": selector}, "spec": template_spec},
            "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}, "type": "RollingUpdate"}}
    meta = {"annotations": dict(helm_annotations(release or name, ns), **{"deprecated.daemonset.template.generation": "1"}),
            "creationTimestamp": iso(created), "generation": 1, "labels": labels, "name": name,
            "namespace": ns, "uid": uid}
    last = max(c for _, c in nodes) + 20
    meta["managedFields"] = [
        mf(HELM, created, {"metadata": pick(meta, "annotations", "labels"), "spec": spec}, api="apps/v1"),
        mf("kube-controller-manager", last, {"status": status}, api="apps/v1", subresource="status")]
    meta["resourceVersion"] = b.rv(last, "ds", name)
    b.add(ns, "daemonsets", {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta,
                             "spec": spec, "status": status})
    return made


def service(b, ns, name, *, ip, ports, selector, created, headless=False, labels=None, backends=(),
            not_ready=()):
    """A ClusterIP Service and its Endpoints (`backends`/`not_ready`: pods serving it)."""
    labels = labels or helm_labels(selector.get("app", name))
    spec = {"clusterIP": "None" if headless else ip, "clusterIPs": ["None" if headless else ip],
            "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "ports": [{"name": n, "port": p, "protocol": "TCP", "targetPort": t} for n, p, t in ports],
            "selector": selector, "sessionAffinity": "None", "type": "ClusterIP"}
    meta = {"annotations": helm_annotations(selector.get("app", name), ns), "creationTimestamp": iso(created),
            "labels": labels, "name": name, "namespace": ns, "uid": b.uid("svc", ns, name)}
    meta["managedFields"] = [mf(HELM, created, {"metadata": pick(meta, "annotations", "labels"),
                                                "spec": {k: v for k, v in spec.items()
                                                         if k not in ("clusterIP", "clusterIPs", "ipFamilies")}})]
    meta["resourceVersion"] = b.rv(created, "svc", name)
    b.add(ns, "services", {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec,
                           "status": {"loadBalancer": {}}})

    def addr(pod):
        return {"ip": pod["status"]["podIP"], "nodeName": pod["spec"]["nodeName"],
                "targetRef": {"kind": "Pod", "name": pod["metadata"]["name"], "namespace": ns,
                              "uid": pod["metadata"]["uid"]}}
    ep_labels = dict(labels)
    if headless:
        ep_labels["service.kubernetes.io/headless"] = ""
    subsets = []
    if backends or not_ready:
        s = {}
        if backends:
            s["addresses"] = [addr(p) for p in sorted(backends, key=lambda p: p["status"]["podIP"])]
        if not_ready:
            s["notReadyAddresses"] = [addr(p) for p in sorted(not_ready, key=lambda p: p["status"]["podIP"])]
        named = {cp["name"]: cp["containerPort"] for pod in list(backends) + list(not_ready)
                 for c in pod["spec"]["containers"] for cp in c.get("ports", [])}
        s["ports"] = [{"name": n, "port": t if isinstance(t, int) else named[t], "protocol": "TCP"}
                      for n, p, t in ports]
        subsets.append(s)
    pods = list(backends) + list(not_ready)
    changed = max([created + 5] + [epoch(p["metadata"]["creationTimestamp"]) + 9 for p in pods])
    ep_meta = {"annotations": {"endpoints.kubernetes.io/last-change-trigger-time": iso(changed - 1)},
               "creationTimestamp": iso(created), "labels": ep_labels, "name": name, "namespace": ns,
               "uid": b.uid("ep", ns, name)}
    body = {"metadata": pick(ep_meta, "annotations", "labels")}
    if subsets:
        body["subsets"] = subsets
    ep_meta["managedFields"] = [mf("kube-controller-manager", changed, body)]
    ep_meta["resourceVersion"] = b.rv(changed, "ep", name)
    ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": ep_meta}
    if subsets:
        ep["subsets"] = subsets
    b.add(ns, "endpoints", ep)


def configmap(b, ns, name, keys, created, manager=HELM, annotations=None, labels=None):
    meta = {"creationTimestamp": iso(created), "name": name, "namespace": ns, "uid": b.uid("cm", ns, name)}
    if annotations:
        meta["annotations"] = annotations
    if labels:
        meta["labels"] = labels
    data = {k: "<redacted>" for k in keys}
    meta["managedFields"] = [mf(manager, created, dict({"data": data}, metadata=pick(meta, "annotations", "labels")))]
    if not meta["managedFields"][0]["fieldsV1"]["f:metadata"]:
        del meta["managedFields"][0]["fieldsV1"]["f:metadata"]
    meta["resourceVersion"] = b.rv(created, "cm", ns, name)
    b.add(ns, "configmaps", {"apiVersion": "v1", "data": data, "kind": "ConfigMap", "metadata": meta})


def root_ca(b, ns, t):
    configmap(b, ns, "kube-root-ca.crt", ["ca.crt"], t, manager="kube-controller-manager",
              annotations={"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."})


def secret(b, ns, name, keys, created, typ="Opaque", labels=None):
    meta = {"creationTimestamp": iso(created), "name": name, "namespace": ns, "uid": b.uid("secret", ns, name)}
    if labels:
        meta["labels"] = labels
    data = {k: "<redacted>" for k in keys}
    tree = {"data": data, "type": typ}
    if labels:
        tree["metadata"] = {"labels": labels}
    meta["managedFields"] = [mf(HELM, created, tree)]
    meta["resourceVersion"] = b.rv(created, "secret", ns, name)
    b.add(ns, "secrets", {"apiVersion": "v1", "data": data, "kind": "Secret", "metadata": meta, "type": typ})


def pvc(b, ns, name, size, created, node, storage_class):
    vol = "pvc-" + b.uid("pv", ns, name)
    meta = {"annotations": {"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
                            "volume.beta.kubernetes.io/storage-provisioner": "rancher.io/local-path",
                            "volume.kubernetes.io/selected-node": node,
                            "volume.kubernetes.io/storage-provisioner": "rancher.io/local-path"},
            "creationTimestamp": iso(created), "finalizers": ["kubernetes.io/pvc-protection"],
            "labels": {"app": name.split("-")[1]}, "name": name, "namespace": ns, "uid": b.uid("pvc", ns, name)}
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}},
            "storageClassName": storage_class, "volumeMode": "Filesystem", "volumeName": vol}
    status = {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}, "phase": "Bound"}
    meta["managedFields"] = [
        mf("kube-controller-manager", created + 1, {"metadata": {"annotations": pick(meta["annotations"], "pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller", "volume.beta.kubernetes.io/storage-provisioner", "volume.kubernetes.io/storage-provisioner"), "labels": meta["labels"]},
                                                    "spec": {"accessModes": spec["accessModes"], "resources": spec["resources"],
                                                             "storageClassName": storage_class, "volumeMode": "Filesystem", "volumeName": vol}}),
        mf("kube-scheduler", created, {"metadata": {"annotations": pick(meta["annotations"], "volume.kubernetes.io/selected-node")}}),
        mf("kube-controller-manager", created + 4, {"status": status}, subresource="status"),
    ]
    meta["resourceVersion"] = b.rv(created + 4, "pvc", name)
    b.add(ns, "persistentvolumeclaims", {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
                                         "spec": spec, "status": status})


# ------------------------------------------------------------------------------------------
# Logs


def write_logs(b, ns, pod, cname, st):
    """What the collector keeps: logs of containers that restarted, wait, or exited non-zero."""
    pname = pod["metadata"]["name"]
    base = "logs/%s/%s/%s" % (ns, pname, cname)

    def render(lines):
        return render_log(lines, b.cluster, pname, cname)

    if isinstance(st, Loop):
        tl = st.timeline
        start, finish = tl.instances[-1]
        previous = render(st.logs(start, finish))
        b.logs[base + ".previous.log"] = previous
        if tl.state == "waiting":
            b.logs[base + ".log"] = previous  # the same instance: kubectl returns it for both
        else:
            b.logs[base + ".log"] = render(st.logs(tl.current_start, b.T - 1))


def timed(start, items):
    """[(offset_seconds, text)] -> [(t, text)] with ms precision kept monotonic."""
    out, last = [], None
    for off, text in items:
        t = start + off
        if last is not None and t <= last:
            t = last + 0.001
        out.append((t, text))
        last = t
    return out


SPRING_BANNER = [
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
]


def spring(start, app, entries):
    """Spring Boot 3 console lines: [(offset, level, thread, logger, message)]."""
    out = [(0.0 + i * 0.001, line) for i, line in enumerate(SPRING_BANNER)]
    for off, level, thread, logger, msg in entries:
        ts = iso_ms(start + off)
        out.append((off, "%s %5s 1 --- [%s] [%15s] %-40s : %s" % (ts, level, app, thread[-15:], logger[:40], msg)))
    return timed(start, out)


# ------------------------------------------------------------------------------------------
# Common healthy workloads


def frontend(b, ns, nodes, created, *, name="frontend", replicas=1, image="nginx:1.27.2"):
    spec = pod_template_spec([container(
        name, image, ports=[("http", 8080)], resources=res("50m", "64Mi", None, "128Mi"),
        liveness=http_probe("/healthz", "http", initial=5, period=10),
        readiness=http_probe("/healthz", "http", period=5),
        mounts=[mount("nginx-conf", "/etc/nginx/conf.d", read_only=True), mount("cache", "/var/cache/nginx")])],
        volumes=[{"configMap": {"defaultMode": 420, "name": name + "-nginx"}, "name": "nginx-conf"},
                 {"emptyDir": {}, "name": "cache"}])
    pods = [dict(node=nodes[i % len(nodes)], created=created + 2 + i,
                 statuses={name: Running(created + 4 + i)}) for i in range(replicas)]
    made = deployment(b, ns, name, template_spec=spec, pods=pods, created=created)
    service(b, ns, name, ip=b._svc_ip(name), ports=[("http", 80, "http")], selector={"app": name},
            created=created, backends=made)
    configmap(b, ns, name + "-nginx", ["default.conf"], created)
    return made


def go_service(b, ns, name, nodes, created, *, image, port=8080, replicas=1, env_=None, statuses=None):
    spec = pod_template_spec([container(
        name, image, args=["--listen-addr=:%d" % port], env_=env_ or [env("LOG_LEVEL", "info")],
        ports=[("http", port), ("metrics", 9090)], resources=res("100m", "128Mi", None, "256Mi"),
        liveness=http_probe("/healthz", "http", initial=10), readiness=http_probe("/readyz", "http", period=5),
        security={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                  "runAsUser": 65532})])
    pods = []
    for i in range(replicas):
        st = (statuses or {}).get(i) or Running(created + 4 + i)
        pods.append(dict(node=nodes[i % len(nodes)], created=created + 2 + i, statuses={name: st},
                         ready_since=st.started + 6 if isinstance(st, Running) else None))
    made = deployment(b, ns, name, template_spec=spec, pods=pods, created=created)
    service(b, ns, name, ip=b._svc_ip(name), ports=[("http", 80, "http")], selector={"app": name},
            created=created, backends=made)
    return made


def redis(b, ns, node, created):
    spec = pod_template_spec([container(
        "redis", "redis:7.4.1-alpine", args=["--save", "", "--appendonly", "no"], ports=[("redis", 6379)],
        resources=res("50m", "64Mi", None, "256Mi"), liveness=tcp_probe("redis", initial=5),
        readiness=exec_probe(["redis-cli", "ping"], period=5))])
    made = deployment(b, ns, "redis", template_spec=spec, created=created,
                      pods=[dict(node=node, created=created + 2, statuses={"redis": Running(created + 5)})])
    service(b, ns, "redis", ip=b._svc_ip("redis"), ports=[("redis", 6379, "redis")], selector={"app": "redis"},
            created=created, backends=made)
    return made


def new_bundle(rel, *, cluster, context, flavor, T, namespaces, region=None):
    versions = {
        "eks": ("v1.31.2-eks-7f9249a", "3f1c5e3b4e0f7f3a52d6b6c9e9c7a8d2f5e1b4a7", "2024-10-29T21:14:02Z", "go1.22.8"),
        "gke": ("v1.31.2-gke.1115000", "7d1d4b0c6f3a2e9b8c5d4e3f2a1b0c9d8e7f6a5b", "2024-11-05T09:21:37Z", "go1.22.8 X:boringcrypto"),
        "aks": ("v1.31.2", "5864a4677267e6adeae276ad85882a8714d69d9d", "2024-10-22T20:28:14Z", "go1.22.8"),
        "kubeadm": ("v1.31.2", "5864a4677267e6adeae276ad85882a8714d69d9d", "2024-10-22T20:28:14Z", "go1.22.8"),
    }[flavor]
    b = Bundle(rel, cluster=cluster, context=context, flavor=flavor, collected_at=T, namespaces=namespaces,
               server_version=versions[0], server_commit=versions[1], server_build=versions[2],
               go_version=versions[3], region=region)
    b.birth = T - 86400 * (60 + int(unit(cluster, "birth") * 200))
    b._pod_ns, b._pod_uid = {}, {}
    b._scheduler_host = {"eks": "ip-10-0-1-20.%s.compute.internal" % region, "gke": "gke-control-plane",
                         "aks": "aks-control-plane", "kubeadm": cluster + "-cp-1"}[flavor]
    svc_base = {"eks": "172.20.", "gke": "34.118.", "aks": "10.0.", "kubeadm": "10.96."}[flavor]
    used = {}

    def svc_ip(name):
        if name not in used:
            k = 1 + int(unit(cluster, "svc", name) * 250)
            while k in used.values():
                k += 1
            used[name] = k
            third = 1 + int(unit(cluster, "svc3", name) * 200)
            used_ip = "%s%d.%d" % (svc_base, third, k)
            b._svc_ips[name] = used_ip
        return b._svc_ips[name]
    b._svc_ips = {}
    b._svc_ip = svc_ip
    for ns in namespaces:
        root_ca(b, ns, b.birth + 3600 + int(unit(ns) * 86400))
    return b


# ------------------------------------------------------------------------------------------
# The samples


def s_no_foreground_plain():
    T = epoch("2026-11-28T05:00:00Z")
    b = new_bundle("no-foreground-plain", cluster="dev-eu-1", context="kubernetes-admin@dev-eu-1",
                   flavor="kubeadm", T=T, namespaces=["shop"])
    n1 = add_node(b, "dev-eu-1-worker-1", zone="", ip="192.168.10.21", pod_cidr="10.244.1.0/24",
                  instance="", created=b.birth + 600)
    n2 = add_node(b, "dev-eu-1-worker-2", zone="", ip="192.168.10.22", pod_cidr="10.244.2.0/24",
                  instance="", created=b.birth + 640)
    go_service(b, "shop", "catalog", [n2], T - 86400 * 6, image="registry.example.com/shop/catalog:1.4.2")
    tl = crash_loop(T, 7, 95, lambda k: 0.8 + unit("cs", k) * 0.4, "config-sync")
    created = int(tl.instances[0][0]) - 2
    spec = pod_template_spec([container(
        "config-sync", "busybox:1.36.1",
        command=["sh", "-c", "echo configured && cp /config/app.conf /etc/app/"],
        resources=res("10m", "16Mi", None, "32Mi"),
        mounts=[mount("config", "/config", read_only=True), mount("app-etc", "/etc/app")])],
        volumes=[{"configMap": {"defaultMode": 420, "name": "app-config"}, "name": "config"},
                 {"emptyDir": {}, "name": "app-etc"}])
    st = Loop(tl, "Completed", 0, logs=lambda s, f: [(s + 0.012, "configured")])
    [pod] = deployment(b, "shop", "config-sync", template_spec=spec, created=created, progressing="deadline",
                       pods=[dict(node=n1, created=created, statuses={"config-sync": st})])
    write_logs(b, "shop", pod, "config-sync", st)
    configmap(b, "shop", "app-config", ["app.conf"], created - 5)
    return b


def s_no_foreground_probes():
    T = epoch("2026-11-28T05:00:00Z")
    b = new_bundle("no-foreground-probes", cluster="staging-us-1",
                   context="gke_acme-shop_us-central1_staging-us-1", flavor="gke", T=T, namespaces=["shop"],
                   region="us-central1")
    n1 = add_node(b, "gke-staging-us-1-default-pool-6a7c1e2b-k3xw", zone="us-central1-a", ip="10.128.0.14",
                  pod_cidr="10.52.0.0/24", instance="e2-standard-4", created=b.birth + 900, cpu=4, mem_ki=16_383_732)
    n2 = add_node(b, "gke-staging-us-1-default-pool-6a7c1e2b-q9tm", zone="us-central1-a", ip="10.128.0.15",
                  pod_cidr="10.52.1.0/24", instance="e2-standard-4", created=b.birth + 930, cpu=4, mem_ki=16_383_732)
    frontend(b, "shop", [n2], T - 86400 * 12, name="web")
    tl = crash_loop(T, 9, 170, lambda k: 1.0 + unit("ff", k) * 0.3, "feature-flags")
    created = int(tl.instances[0][0]) - 2
    probe_cmd = ["cat", "/tmp/healthy"]
    spec = pod_template_spec([container(
        "feature-flags", "alpine:3.20.3",
        command=["sh", "-c", 'echo "syncing feature flags from /config/flags.json" && '
                 'cp /config/flags.json /srv/flags/flags.json && echo "flags written to /srv/flags/flags.json"'],
        resources=res("10m", "16Mi", None, "32Mi"),
        liveness=exec_probe(probe_cmd, period=5, failure=3), readiness=exec_probe(probe_cmd, period=5),
        mounts=[mount("flags-config", "/config", read_only=True), mount("flags", "/srv/flags")])],
        volumes=[{"configMap": {"defaultMode": 420, "name": "feature-flags"}, "name": "flags-config"},
                 {"emptyDir": {}, "name": "flags"}])

    def logs(s, f):
        return [(s + 0.018, "syncing feature flags from /config/flags.json"),
                (s + 0.031, "flags written to /srv/flags/flags.json")]
    st = Loop(tl, "Completed", 0, logs=logs)
    [pod] = deployment(b, "shop", "feature-flags", template_spec=spec, created=created, progressing="deadline",
                       pods=[dict(node=n1, created=created, statuses={"feature-flags": st})])
    write_logs(b, "shop", pod, "feature-flags", st)
    configmap(b, "shop", "feature-flags", ["flags.json"], created - 5)
    # The probes (period 5s, no initial delay) only hit the container in the second it is alive, and
    # never three times in a row, so there are Unhealthy events but no Killing event.
    obj = ("Pod", pod["metadata"]["name"], pod["metadata"]["uid"])
    starts = tl.starts
    field = "spec.containers{feature-flags}"
    lv = [s for i, s in enumerate(starts) if unit("lv", i) < 0.3]
    rd = [s for i, s in enumerate(starts) if unit("rd", i) < 0.35]
    add_event(b, "shop", obj, "Unhealthy", "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory",
              lv[0] + 0.5, lv[-1] + 0.5, len(lv), typ="Warning", field=field, host=n1)
    add_event(b, "shop", obj, "Unhealthy", "Readiness probe failed: cat: can't open '/tmp/healthy': No such file or directory",
              rd[0] + 0.4, rd[-1] + 0.4, len(rd), typ="Warning", field=field, host=n1)
    add_event(b, "shop", obj, "Unhealthy",
              "Readiness probe errored: rpc error: code = NotFound desc = failed to exec in container: failed to load task: "
              "no running task found: task %s not found: not found" % cid(b, pod["metadata"]["name"], "feature-flags", 3)[13:],
              starts[3] + 1.4, starts[-2] + 1.4, 4, typ="Warning", field=field, host=n1)
    return b


PAYMENTS_ENTRIES = [
    (1.9, "INFO", "main", "c.e.payments.PaymentsApplication", "Starting PaymentsApplication v2.14.3 using Java 21.0.5 with PID 1 (/app/payments.jar started by app in /app)"),
    (1.9, "INFO", "main", "c.e.payments.PaymentsApplication", 'The following 1 profile is active: "prod"'),
    (4.6, "INFO", "main", ".s.d.r.c.RepositoryConfigurationDelegate", "Bootstrapping Spring Data JPA repositories in DEFAULT mode."),
    (5.3, "INFO", "main", ".s.d.r.c.RepositoryConfigurationDelegate", "Finished Spring Data repository scanning in 611 ms. Found 9 JPA repository interfaces."),
    (7.1, "INFO", "main", "o.s.b.w.embedded.tomcat.TomcatWebServer", "Tomcat initialized with port 8080 (http)"),
    (7.2, "INFO", "main", "w.s.c.ServletWebServerApplicationContext", "Root WebApplicationContext: initialization completed in 5174 ms"),
    (8.0, "INFO", "main", "com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Starting..."),
    (8.6, "INFO", "main", "com.zaxxer.hikari.pool.HikariPool", "HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@4b3a8f21"),
    (8.6, "INFO", "main", "com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Start completed."),
    (10.9, "INFO", "main", "j.LocalContainerEntityManagerFactoryBean", "Initialized JPA EntityManagerFactory for persistence unit 'default'"),
    (12.3, "INFO", "main", "o.s.b.w.embedded.tomcat.TomcatWebServer", "Tomcat started on port 8080 (http) with context path '/'"),
    (12.4, "INFO", "main", "c.e.payments.PaymentsApplication", "Started PaymentsApplication in 11.82 seconds (process running for 12.64)"),
]


def payments_logs(start, end):
    lines = [(start + 0.35, "Picked up JAVA_TOOL_OPTIONS: -Xmx768m -XX:+UseG1GC")]
    lines += [(t, x) for t, x in spring(start + 0.4, "payments", PAYMENTS_ENTRIES)]
    t = start + 60
    batch = 88100 + int(unit("batch", start) * 500)
    cache = 40_000
    while t < end - 20:
        batch += 1
        cache += 9_000 + int(unit("cache", t) * 4000)
        dur = 1.8 + unit("dur", t) * 1.9
        lines.append((t, "%s  INFO 1 --- [payments] [   scheduling-1] c.e.payments.settlement.BatchSettler     : "
                         "Settled batch %d: 1500 payments in %.2f s (ledger cache: %d entries)"
                      % (iso_ms(t - 0.002), batch, dur, cache)))
        t += 150 + unit("gap", t) * 90
    return lines


def s_oom_killed():
    T = epoch("2026-11-28T05:00:00Z")
    b = new_bundle("oom-killed", cluster="prod-eu-1",
                   context="arn:aws:eks:eu-central-1:123456789012:cluster/prod-eu-1", flavor="eks", T=T,
                   namespaces=["shop"], region="eu-central-1")
    b.managed_fields = True  # collected with managedFields (kubectl --show-managed-fields)
    nodes = [
        add_node(b, "ip-10-0-21-143.eu-central-1.compute.internal", zone="eu-central-1a", ip="10.0.21.143",
                 pod_cidr="10.0.21.0/24", instance="m6i.xlarge", created=b.birth + 86400 * 20, cpu=4, mem_ki=15_896_524),
        add_node(b, "ip-10-0-37-88.eu-central-1.compute.internal", zone="eu-central-1b", ip="10.0.37.88",
                 pod_cidr="10.0.37.0/24", instance="m6i.xlarge", created=b.birth + 86400 * 31, cpu=4, mem_ki=15_896_524),
    ]
    frontend(b, "shop", nodes[:2], T - 86400 * 4, name="web")
    created = T - 6 * 3600 - 1270
    spec = pod_template_spec([container(
        "payments", "registry.example.com/shop/payments:2.14.3",
        env_=[env("JAVA_TOOL_OPTIONS", "-Xmx768m -XX:+UseG1GC"), env("SPRING_PROFILES_ACTIVE", "prod"),
              env("DB_URL", "jdbc:postgresql://payments-db.shop.svc.cluster.local:5432/payments"),
              env("DB_USER", "payments"), env("DB_PASSWORD", secret=("payments-db", "password"))],
        ports=[("http", 8080)], resources=res("500m", "512Mi", "1", "512Mi"),
        liveness=http_probe("/actuator/health/liveness", "http", initial=60, period=10),
        readiness=http_probe("/actuator/health/readiness", "http", initial=20, period=5))],
        sa="payments")
    pods, loops = [], []
    for i, (node, last, restarts) in enumerate([(nodes[0], T - 192, 9), (nodes[1], T - 671, 7)]):
        tl = long_runs(last, restarts, lambda k, i=i: 2290 + unit("oom", i, k) * 380, "payments%d" % i)
        st = Loop(tl, "OOMKilled", 137, logs=payments_logs)
        loops.append(st)
        pods.append(dict(node=node, created=int(tl.instances[0][0]) - 3, statuses={"payments": st},
                         ready_since=tl.current_start + 14))
    # the third replica was recreated 38 minutes ago (its node was drained) and has not grown yet
    third_start = T - 38 * 60 + 3
    pods.append(dict(node=nodes[0], created=third_start - 3, statuses={"payments": Running(third_start)},
                     ready_since=third_start + 14))
    made = deployment(b, "shop", "payments", template_spec=spec, created=created - 86400 * 21, pods=pods)
    for pod, st in zip(made, loops):
        write_logs(b, "shop", pod, "payments", st)
    service(b, "shop", "payments", ip=b._svc_ip("payments"), ports=[("http", 80, "http")],
            selector={"app": "payments"}, created=created - 86400 * 21,
            backends=[p for p in made if p["status"]["containerStatuses"][0]["ready"]],
            not_ready=[p for p in made if not p["status"]["containerStatuses"][0]["ready"]])
    secret(b, "shop", "payments-db", ["password", "username"], created - 86400 * 21)
    return b


ORDERS_ENTRIES = [
    (1.2, "INFO", "main", "c.e.orders.OrdersApplication", "Starting OrdersApplication v3.2.0 using Java 21.0.5 with PID 1 (/app/orders.jar started by app in /app)"),
    (1.3, "INFO", "main", "c.e.orders.OrdersApplication", 'The following 1 profile is active: "prod"'),
    (6.8, "INFO", "main", ".s.d.r.c.RepositoryConfigurationDelegate", "Bootstrapping Spring Data JPA repositories in DEFAULT mode."),
    (9.4, "INFO", "main", ".s.d.r.c.RepositoryConfigurationDelegate", "Finished Spring Data repository scanning in 2514 ms. Found 14 JPA repository interfaces."),
    (14.9, "INFO", "main", "o.s.b.w.embedded.tomcat.TomcatWebServer", "Tomcat initialized with port 8080 (http)"),
    (15.0, "INFO", "main", "o.apache.catalina.core.StandardService", "Starting service [Tomcat]"),
    (15.0, "INFO", "main", "o.apache.catalina.core.StandardEngine", "Starting Servlet engine: [Apache Tomcat/10.1.31]"),
    (15.6, "INFO", "main", "o.a.c.c.C.[Tomcat].[localhost].[/]", "Initializing Spring embedded WebApplicationContext"),
    (15.6, "INFO", "main", "w.s.c.ServletWebServerApplicationContext", "Root WebApplicationContext: initialization completed in 13912 ms"),
    (19.8, "INFO", "main", "o.hibernate.jpa.internal.util.LogHelper", "HHH000204: Processing PersistenceUnitInfo [name: default]"),
    (20.4, "INFO", "main", "org.hibernate.Version", "HHH000412: Hibernate ORM core version 6.5.3.Final"),
    (20.9, "INFO", "main", "o.h.c.internal.RegionFactoryInitiator", "HHH000026: Second-level cache disabled"),
    (22.1, "INFO", "main", "org.flywaydb.core.FlywayExecutor", "Flyway Community Edition 10.10.0 by Redgate"),
    (22.3, "INFO", "main", "com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Starting..."),
    (23.5, "INFO", "main", "com.zaxxer.hikari.pool.HikariPool", "HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@3c1e23ff"),
    (23.5, "INFO", "main", "com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Start completed."),
    (23.6, "INFO", "main", "o.f.c.i.database.base.BaseDatabaseType", "Database: jdbc:postgresql://orders-db.shop.svc.cluster.local:5432/orders (PostgreSQL 16.4)"),
    (25.9, "INFO", "main", "o.f.core.internal.command.DbValidate", "Successfully validated 87 migrations (execution time 00:02.204s)"),
    (26.0, "INFO", "main", "o.f.core.internal.command.DbMigrate", 'Current version of schema "public": 2024.11.05.1'),
    (26.0, "INFO", "main", "o.f.core.internal.command.DbMigrate", 'Schema "public" is up to date. No migration necessary.'),
    (31.7, "INFO", "main", "o.h.e.t.j.p.i.JtaPlatformInitiator", "HHH000489: No JTA platform available (set 'hibernate.transaction.jta.platform' to enable JTA platform integration)"),
    (38.2, "INFO", "main", "j.LocalContainerEntityManagerFactoryBean", "Initialized JPA EntityManagerFactory for persistence unit 'default'"),
    (44.9, "INFO", "main", "c.e.orders.catalog.ProductCacheLoader", "Loading product catalog into the in-memory cache (480000 entries)..."),
    (51.2, "INFO", "main", "c.e.orders.catalog.ProductCacheLoader", "Product cache: 120000/480000 entries loaded"),
    (57.3, "INFO", "main", "c.e.orders.catalog.ProductCacheLoader", "Product cache: 240000/480000 entries loaded"),
]


def s_liveness_probe_kill():
    T = epoch("2026-11-28T05:00:00Z")
    b = new_bundle("liveness-probe-kill", cluster="prod-eu-2", context="kubernetes-admin@prod-eu-2",
                   flavor="kubeadm", T=T, namespaces=["shop"])
    n1 = add_node(b, "prod-eu-2-worker-1", zone="", ip="192.168.20.11", pod_cidr="10.244.1.0/24", instance="",
                  created=b.birth + 700, cpu=4, mem_ki=16_374_200)
    n2 = add_node(b, "prod-eu-2-worker-2", zone="", ip="192.168.20.12", pod_cidr="10.244.2.0/24", instance="",
                  created=b.birth + 760, cpu=4, mem_ki=16_374_200)
    b.ip_next[n1] = 17  # the orders pod gets 10.244.1.17
    tl = crash_loop(T, 5, 70, lambda k: 58.6 + unit("lv", k) * 1.2, "orders")
    created = int(tl.instances[0][0]) - 2
    spec = pod_template_spec([container(
        "orders", "registry.example.com/shop/orders:3.2.0",
        env_=[env("SPRING_PROFILES_ACTIVE", "prod"), env("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75"),
              env("SPRING_DATASOURCE_URL", "jdbc:postgresql://orders-db.shop.svc.cluster.local:5432/orders"),
              env("SPRING_DATASOURCE_USERNAME", "orders"),
              env("SPRING_DATASOURCE_PASSWORD", secret=("orders-db", "password"))],
        ports=[("http", 8080)], resources=res("250m", "1Gi", "500m", "1Gi"),
        liveness=http_probe("/actuator/health", 8080, initial=30, period=10, failure=3),
        readiness=http_probe("/actuator/health/readiness", 8080, initial=20, period=5, failure=3))])

    def logs(s, f):
        return [(s + 0.3, "Picked up JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=75")] + spring(s + 0.4, "orders", ORDERS_ENTRIES)
    st = Loop(tl, "Error", 143, logs=logs)
    [pod] = deployment(b, "shop", "orders", template_spec=spec, created=created, progressing="deadline",
                       pods=[dict(node=n1, created=created, statuses={"orders": st})])
    write_logs(b, "shop", pod, "orders", st)
    ip = pod["status"]["podIP"]
    obj = ("Pod", pod["metadata"]["name"], pod["metadata"]["uid"])
    field = "spec.containers{orders}"
    starts = tl.starts
    kills = [f for _, f in tl.instances]
    add_event(b, "shop", obj, "Unhealthy",
              'Liveness probe failed: Get "http://%s:8080/actuator/health": dial tcp %s:8080: connect: connection refused' % (ip, ip),
              starts[0] + 38.2, kills[-1] - 0.3, 3 * len(kills), typ="Warning", field=field, host=n1)
    add_event(b, "shop", obj, "Unhealthy",
              'Readiness probe failed: Get "http://%s:8080/actuator/health/readiness": dial tcp %s:8080: connect: connection refused' % (ip, ip),
              starts[0] + 21.1, kills[-1] - 2.4, 8 * len(kills), typ="Warning", field=field, host=n1)
    add_event(b, "shop", obj, "Killing", "Container orders failed liveness probe, will be restarted",
              kills[0] - 0.25, kills[-1] - 0.25, len(kills), field=field, host=n1)
    service(b, "shop", "orders", ip=b._svc_ip("orders"), ports=[("http", 80, "http")], selector={"app": "orders"},
            created=created, not_ready=[pod])
    secret(b, "shop", "orders-db", ["password"], created - 3600)
    frontend(b, "shop", [n2], T - 86400 * 17)
    return b


GO_USAGE = [
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
]


def s_bad_args():
    T = epoch("2026-11-28T05:00:00Z")
    b = new_bundle("bad-args", cluster="staging-eu-1", context="staging-eu-1", flavor="aks", T=T,
                   namespaces=["shop"], region="westeurope")
    n1 = add_node(b, "aks-nodepool1-31415926-vmss000000", zone="westeurope-1", ip="10.224.0.4",
                  pod_cidr="10.244.0.0/24", instance="Standard_D4s_v5", created=b.birth + 500, cpu=4, mem_ki=16_375_300)
    n2 = add_node(b, "aks-nodepool1-31415926-vmss000001", zone="westeurope-2", ip="10.224.0.5",
                  pod_cidr="10.244.1.0/24", instance="Standard_D4s_v5", created=b.birth + 520, cpu=4, mem_ki=16_375_300)
    go_service(b, "shop", "cart", [n2], T - 86400 * 8, image="registry.example.com/shop/cart:2.0.7")
    spec = pod_template_spec([container(
        "inventory", "registry.example.com/shop/inventory:1.8.0",
        args=["--listen-addr=:8080", "--enable-tracing"],
        env_=[env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability:4317"),
              env("INVENTORY_DB_PASSWORD", secret=("inventory-db", "password"))],
        ports=[("http", 8080), ("metrics", 9090)], resources=res("100m", "64Mi", None, "128Mi"),
        liveness=http_probe("/healthz", "http", initial=5), readiness=http_probe("/readyz", "http", period=5),
        security={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                  "readOnlyRootFilesystem": True, "runAsNonRoot": True, "runAsUser": 65532})])

    def logs(s, f):
        return [(s + 0.004, "flag provided but not defined: -enable-tracing")] + [
            (s + 0.005 + i * 0.0001, line) for i, line in enumerate(GO_USAGE)]
    pods, loops = [], []
    for i, node in enumerate([n1, n2]):
        tl = crash_loop(T, 8, 130 - 2 * i, lambda k, i=i: 0.02 + unit("ba", i, k) * 0.05, "inventory%d" % i)
        st = Loop(tl, "Error", 2, logs=logs)
        loops.append(st)
        pods.append(dict(node=node, created=int(tl.instances[0][0]) - 2, statuses={"inventory": st}))
    created = min(p["created"] for p in pods) - 1
    made = deployment(b, "shop", "inventory", template_spec=spec, created=created, pods=pods, progressing="deadline")
    for pod, st in zip(made, loops):
        write_logs(b, "shop", pod, "inventory", st)
    service(b, "shop", "inventory", ip=b._svc_ip("inventory"), ports=[("http", 80, "http")],
            selector={"app": "inventory"}, created=created, not_ready=made)
    secret(b, "shop", "inventory-db", ["password"], created - 86400)
    return b


def s_exec_format():
    T = epoch("2026-11-28T05:00:00Z")
    b = new_bundle("exec-format", cluster="prod-us-2", context="arn:aws:eks:us-west-2:123456789012:cluster/prod-us-2",
                   flavor="eks", T=T, namespaces=["media"], region="us-west-2")
    amd = add_node(b, "ip-10-1-14-201.us-west-2.compute.internal", zone="us-west-2a", ip="10.1.14.201",
                   pod_cidr="10.1.14.0/24", instance="m6i.large", created=b.birth + 86400 * 40)
    arm = add_node(b, "ip-10-1-40-118.us-west-2.compute.internal", arch="arm64", zone="us-west-2c",
                   ip="10.1.40.118", pod_cidr="10.1.40.0/24", instance="m7g.large", created=T - 3 * 3600 - 700)
    # a multi-arch image runs fine on the same arm64 node
    frontend(b, "media", [arm], T - 86400 * 5, name="gallery", image="nginxinc/nginx-unprivileged:1.27.2")
    spec = pod_template_spec([container(
        "worker", "registry.example.com/media/thumbnailer:0.9.4",
        command=["/usr/local/bin/worker"], args=["--queue=thumbnails", "--concurrency=4"],
        env_=[env("REDIS_ADDR", "redis.media.svc.cluster.local:6379"), env("S3_BUCKET", "acme-media-prod")],
        resources=res("250m", "256Mi", None, "512Mi"))], sa="thumbnailer")
    tl = crash_loop(T, 12, 240, lambda k: 0.01 + unit("ef", k) * 0.02, "thumb")
    created = int(tl.instances[0][0]) - 2
    st = Loop(tl, "Error", 1, logs=lambda s, f: [(s + 0.002, "exec /usr/local/bin/worker: exec format error")])
    made = deployment(b, "media", "thumbnailer", template_spec=spec, created=T - 86400 * 19,
                      pods=[dict(node=arm, created=created, statuses={"worker": st}),
                            dict(node=amd, created=T - 86400 * 2 - 4000,
                                 statuses={"worker": Running(T - 86400 * 2 - 3996)})])
    write_logs(b, "media", made[0], "worker", st)
    return b


def storefront_logs(s, f):
    host = '"postgres.shop.svc.cluster.local" (10.96.14.3), port 5432'
    site = "/usr/local/lib/python3.12/site-packages/django"
    lines = [
        "Traceback (most recent call last):",
        '  File "%s/db/backends/base/base.py", line 279, in ensure_connection' % site,
        "    self.connect()",
        '  File "%s/utils/asyncio.py", line 26, in inner' % site,
        "    return func(*args, **kwargs)",
        "           ^^^^^^^^^^^^^^^^^^^^^",
        '  File "%s/db/backends/base/base.py", line 256, in connect' % site,
        "    self.connection = self.get_new_connection(conn_params)",
        "                      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        '  File "%s/db/backends/postgresql/base.py", line 332, in get_new_connection' % site,
        "    connection = self.Database.connect(**conn_params)",
        "                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        '  File "/usr/local/lib/python3.12/site-packages/psycopg2/__init__.py", line 122, in connect',
        "    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)",
        "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        "psycopg2.OperationalError: connection to server at %s failed: Connection refused" % host,
        "\tIs the server running on that host and accepting TCP/IP connections?",
        "",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        "Traceback (most recent call last):",
        '  File "/app/manage.py", line 22, in <module>',
        "    main()",
        '  File "/app/manage.py", line 18, in main',
        "    execute_from_command_line(sys.argv)",
        '  File "%s/core/management/__init__.py", line 442, in execute_from_command_line' % site,
        "    utility.execute()",
        '  File "%s/core/management/__init__.py", line 436, in execute' % site,
        "    self.fetch_command(subcommand).run_from_argv(self.argv)",
        '  File "%s/core/management/base.py", line 413, in run_from_argv' % site,
        "    self.execute(*args, **cmd_options)",
        '  File "%s/core/management/base.py", line 459, in execute' % site,
        "    output = self.handle(*args, **options)",
        "             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        '  File "%s/core/management/commands/migrate.py", line 114, in handle' % site,
        "    executor = MigrationExecutor(connection, self.migration_progress_callback)",
        "               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        '  File "%s/db/migrations/executor.py", line 18, in __init__' % site,
        "    self.loader = MigrationLoader(self.connection)",
        "                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        '  File "%s/db/migrations/loader.py", line 58, in __init__' % site,
        "    self.build_graph()",
        '  File "%s/db/migrations/loader.py", line 235, in build_graph' % site,
        "    self.applied_migrations = recorder.applied_migrations()",
        "                              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        '  File "%s/db/backends/base/base.py", line 278, in ensure_connection' % site,
        "    with self.wrap_database_errors:",
        '  File "%s/db/utils.py", line 91, in __exit__' % site,
        "    raise dj_exc_value.with_traceback(traceback) from exc_value",
        '  File "%s/db/backends/base/base.py", line 279, in ensure_connection' % site,
        "    self.connect()",
        "django.db.utils.OperationalError: connection to server at %s failed: Connection refused" % host,
        "\tIs the server running on that host and accepting TCP/IP connections?",
    ]
    return [(f - 0.09 + i * 0.0005, x) for i, x in enumerate(lines)]


def s_dependency_unreachable():
    T = epoch("2026-11-28T05:00:00Z")
    b = new_bundle("dependency-unreachable", cluster="shop-prod-1", context="kubernetes-admin@shop-prod-1",
                   flavor="kubeadm", T=T, namespaces=["shop"])
    n1 = add_node(b, "shop-prod-1-worker-1", zone="", ip="192.168.30.11", pod_cidr="10.244.1.0/24", instance="",
                  created=b.birth + 620, cpu=4, mem_ki=16_374_200)
    n2 = add_node(b, "shop-prod-1-worker-2", zone="", ip="192.168.30.12", pod_cidr="10.244.2.0/24", instance="",
                  created=b.birth + 650, cpu=4, mem_ki=16_374_200)
    b._svc_ips["postgres"] = "10.96.14.3"
    scaled = T - 58 * 60 - 21
    pg_spec = pod_template_spec([container(
        "postgres", "postgres:16.4", env_=[env("POSTGRES_DB", "storefront"), env("POSTGRES_USER", "storefront"),
                                           env("POSTGRES_PASSWORD", secret=("postgres-credentials", "password")),
                                           env("PGDATA", "/var/lib/postgresql/data/pgdata")],
        ports=[("postgres", 5432)], resources=res("250m", "512Mi", None, "1Gi"),
        liveness=exec_probe(["pg_isready", "-U", "storefront"], initial=30),
        readiness=exec_probe(["pg_isready", "-U", "storefront"], initial=5, period=5),
        mounts=[mount("data", "/var/lib/postgresql/data")])])
    pg_created = T - 86400 * 74
    sts_uid = statefulset(b, "shop", "postgres", template_spec=pg_spec, pods=[], replicas=0, created=pg_created,
                          service_name="postgres-hl", claim=("data", "20Gi"), scaled_down_at=scaled)
    add_event(b, "shop", ("StatefulSet", "postgres", sts_uid), "SuccessfulDelete",
              "delete Pod postgres-0 in StatefulSet postgres successful", scaled + 1,
              component="statefulset-controller", api="apps/v1")
    pvc(b, "shop", "data-postgres-0", "20Gi", pg_created + 2, n2, "local-path")
    service(b, "shop", "postgres", ip="10.96.14.3", ports=[("postgres", 5432, "postgres")],
            selector={"app": "postgres"}, created=pg_created)
    service(b, "shop", "postgres-hl", ip=None, headless=True, ports=[("postgres", 5432, "postgres")],
            selector={"app": "postgres"}, created=pg_created)
    secret(b, "shop", "postgres-credentials", ["password"], pg_created)

    spec = pod_template_spec([container(
        "storefront", "registry.example.com/shop/storefront:5.1.0",
        command=["sh", "-c", "python manage.py migrate --noinput && exec gunicorn storefront.wsgi:application "
                 "--bind 0.0.0.0:8000 --workers 3 --access-logfile -"],
        env_=[env("DJANGO_SETTINGS_MODULE", "storefront.settings.production"),
              env("DJANGO_SECRET_KEY", "x"),
              env("DATABASE_HOST", "postgres.shop.svc.cluster.local"), env("DATABASE_PORT", "5432"),
              env("DATABASE_NAME", "storefront"), env("DATABASE_USER", "storefront"),
              env("DATABASE_PASSWORD", secret=("postgres-credentials", "password")),
              env("REDIS_URL", "redis://redis.shop.svc.cluster.local:6379/0")],
        ports=[("http", 8000)], resources=res("200m", "256Mi", None, "512Mi"),
        liveness=http_probe("/healthz/", "http", initial=20, period=10),
        readiness=http_probe("/healthz/", "http", initial=5, period=5))])
    tl = crash_loop(T, 11, 44, lambda k: 2.2 + unit("sf", k) * 0.9, "storefront")
    st = Loop(tl, "Error", 1, logs=storefront_logs)
    loops = [st]
    pods = [dict(node=n1, created=int(tl.instances[0][0]) - 2, statuses={"storefront": st})]
    made = deployment(b, "shop", "storefront", template_spec=spec, created=T - 86400 * 74, pods=pods)
    for pod, st in zip(made, loops):
        write_logs(b, "shop", pod, "storefront", st)
    service(b, "shop", "storefront", ip=b._svc_ip("storefront"), ports=[("http", 80, "http")],
            selector={"app": "storefront"}, created=T - 86400 * 74, not_ready=made)
    redis(b, "shop", n1, T - 86400 * 74)
    return b


def checkout_log_lines(pod_name):
    return [
        '{"level":30,"time":%s,"pid":1,"hostname":"%s","name":"checkout","msg":"loading configuration (NODE_ENV=production)"}',
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
    ]


def s_missing_env():
    T = epoch("2026-11-28T05:00:00Z")
    b = new_bundle("missing-env", cluster="staging-ap-1", context="gke_acme-shop_asia-southeast1_staging-ap-1",
                   flavor="gke", T=T, namespaces=["shop"], region="asia-southeast1")
    n1 = add_node(b, "gke-staging-ap-1-default-pool-0b3d9f1e-2mzt", zone="asia-southeast1-a", ip="10.148.0.7",
                  pod_cidr="10.60.0.0/24", instance="e2-standard-4", created=b.birth + 800, cpu=4, mem_ki=16_383_732)
    n2 = add_node(b, "gke-staging-ap-1-default-pool-0b3d9f1e-h7vq", zone="asia-southeast1-b", ip="10.148.0.8",
                  pod_cidr="10.60.1.0/24", instance="e2-standard-4", created=b.birth + 820, cpu=4, mem_ki=16_383_732)
    go_service(b, "shop", "cart", [n1], T - 86400 * 15, image="registry.example.com/shop/cart:2.0.7")
    spec = pod_template_spec([container(
        "checkout", "registry.example.com/shop/checkout:4.0.1",
        env_=[env("NODE_ENV", "production"), env("PORT", "3000"),
              env("STRIPE_API_KEY", secret=("checkout-stripe", "api-key")),
              env("STRIPE_WEBHOOK_SECRET", secret=("checkout-stripe", "webhook-secret")),
              env("CART_URL", "http://cart.shop.svc.cluster.local")],
        ports=[("http", 3000)], resources=res("100m", "128Mi", None, "256Mi"),
        liveness=http_probe("/health", "http", initial=10), readiness=http_probe("/ready", "http", period=5),
        message_policy="FallbackToLogsOnError")])

    def logs(s, f, pname=None):
        lines = checkout_log_lines(pname)
        out = []
        for i, x in enumerate(lines):
            t = s + 0.41 + i * 0.0002 if i else s + 0.38
            if i == 0:
                x = x % (_ms(t), logs.pod)
            out.append((t, x))
        return out

    def message(s, f):
        return "\n".join(text for _, text in logs(s, f)) + "\n"
    tl = crash_loop(T, 9, 222, lambda k: 0.45 + unit("ck", k) * 0.2, "checkout")
    created = int(tl.instances[0][0]) - 2
    st = Loop(tl, "Error", 1, logs=logs, message=message)
    rs_hash = safe(10, b.cluster, "shop", "checkout", "template", 1)
    logs.pod = "checkout-%s-%s" % (rs_hash, safe(5, b.cluster, "checkout-" + rs_hash, 0))
    [pod] = deployment(b, "shop", "checkout", template_spec=spec, created=created, progressing="deadline",
                       pods=[dict(node=n2, created=created, statuses={"checkout": st})])
    write_logs(b, "shop", pod, "checkout", st)
    service(b, "shop", "checkout", ip=b._svc_ip("checkout"), ports=[("http", 80, "http")],
            selector={"app": "checkout"}, created=created, not_ready=[pod])
    secret(b, "shop", "checkout-stripe", ["api-key", "webhook-secret"], T - 86400 * 20)
    return b


def s_init_container_loop():
    T = epoch("2026-11-28T05:00:00Z")
    b = new_bundle("init-container-loop", cluster="qa-eu-1", context="kubernetes-admin@qa-eu-1",
                   flavor="kubeadm", T=T, namespaces=["shop"])
    n1 = add_node(b, "qa-eu-1-worker-1", zone="", ip="192.168.40.11", pod_cidr="10.244.1.0/24", instance="",
                  created=b.birth + 610)
    n2 = add_node(b, "qa-eu-1-worker-2", zone="", ip="192.168.40.12", pod_cidr="10.244.2.0/24", instance="",
                  created=b.birth + 655)
    frontend(b, "shop", [n2], T - 86400 * 2)
    host = "db-migrations.shop.svc.cluster.local"
    script = ('for i in 1 2 3 4 5 6; do nslookup %s && exit 0; echo "waiting for %s ($i/6)"; sleep 10; done; '
              'echo "giving up: %s did not resolve"; exit 1' % (host, host, host))
    init = [container("wait-for-migrations", "busybox:1.28", command=["sh", "-c", script],
                      resources=res("10m", "16Mi", None, "32Mi"))]
    spec = pod_template_spec([container(
        "reviews", "registry.example.com/shop/reviews:2.3.1",
        env_=[env("DATABASE_URL", secret=("reviews-db", "url")), env("LOG_FORMAT", "json")],
        ports=[("http", 8080)], resources=res("100m", "128Mi", None, "256Mi"),
        liveness=http_probe("/healthz", "http", initial=10), readiness=http_probe("/readyz", "http", period=5))],
        init=init)

    def logs(s, f):
        out = []
        t = s + 0.05
        for i in range(1, 7):
            out += [(t, "Server:    10.96.0.10"), (t + 0.0004, "Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local"),
                    (t + 0.0006, ""), (t + 0.012, "nslookup: can't resolve '%s'" % host),
                    (t + 0.013, "waiting for %s (%d/6)" % (host, i))]
            t += 10.03 + unit("ns", s, i) * 0.02
        out.append((t, "giving up: %s did not resolve" % host))
        return out
    tl = crash_loop(T, 6, 200, lambda k: 60.2 + unit("ic", k) * 0.3, "wait-for-migrations")
    st = Loop(tl, "Error", 1, logs=logs)
    loops = [st]
    created = int(tl.instances[0][0]) - 2
    pods = [dict(node=n1, created=created, statuses={"reviews": Initializing()},
                 init_statuses={"wait-for-migrations": st})]
    made = deployment(b, "shop", "reviews", template_spec=spec, created=created, pods=pods, progressing="deadline")
    for pod, st in zip(made, loops):
        write_logs(b, "shop", pod, "wait-for-migrations", st)
        pname = pod["metadata"]["name"]
        err = 'Error from server (BadRequest): container "reviews" in pod "%s" is waiting to start: PodInitializing' % pname
        b.logs["logs/shop/%s/reviews.log" % pname] = err + "\n"
        b.errors.append({"command": "kubectl logs %s -n shop -c reviews --timestamps --tail=1000" % pname,
                         "exit_code": 1, "stderr": err})
    service(b, "shop", "reviews", ip=b._svc_ip("reviews"), ports=[("http", 80, "http")], selector={"app": "reviews"},
            created=created, not_ready=made)
    secret(b, "shop", "reviews-db", ["url"], created - 3600)
    return b


def s_healthy():
    T = epoch("2026-11-28T05:00:00Z")
    b = new_bundle("healthy", cluster="prod-ca-1", context="prod-ca-1", flavor="aks", T=T,
                   namespaces=["monitoring", "shop"], region="canadacentral")
    n1 = add_node(b, "aks-nodepool1-27182818-vmss000000", zone="canadacentral-1", ip="10.224.0.4",
                  pod_cidr="10.244.0.0/24", instance="Standard_D4s_v5", created=b.birth + 500, cpu=4, mem_ki=16_375_300)
    n2 = add_node(b, "aks-nodepool1-27182818-vmss000001", zone="canadacentral-2", ip="10.224.0.5",
                  pod_cidr="10.244.1.0/24", instance="Standard_D4s_v5", created=b.birth + 540, cpu=4, mem_ki=16_375_300)
    frontend(b, "shop", [n1, n2], T - 86400 * 10, replicas=2)
    # catalog restarted once, three days ago, and has been running since
    crash = epoch("2026-11-25T03:12:44Z")
    cat_created = T - 86400 * 9 - 5400
    last = {"containerID": "containerd://" + hexid(b.cluster, "catalog", "old"), "exitCode": 1,
            "finishedAt": iso(crash), "reason": "Error", "startedAt": iso(cat_created + 4)}
    [cat] = go_service(b, "shop", "catalog", [n2], cat_created, image="registry.example.com/shop/catalog:1.4.2",
                       statuses={0: Running(crash + 2, restarts=1, last=last)})
    pname = cat["metadata"]["name"]

    def logrus(t, level, msg, extra=""):
        return (t, 'time="%s" level=%s msg="%s"%s' % (iso(t), level, msg, extra))
    prev = [logrus(crash - 3600 * 5 + i * 1800 + unit("c", i) * 100, "info", "refreshed product index",
                   " items=%d duration=%dms" % (18234 + i * 3, 140 + int(unit("d", i) * 60))) for i in range(8)]
    prev += [logrus(crash - 61.2, "warning", "redis ping failed, retrying", " attempt=1 addr=\"redis.shop.svc.cluster.local:6379\""),
             logrus(crash - 30.1, "warning", "redis ping failed, retrying", " attempt=2 addr=\"redis.shop.svc.cluster.local:6379\""),
             logrus(crash - 0.4, "fatal", "redis unavailable for 60s, exiting so the pod restarts")]
    cur = [logrus(crash + 2.3, "info", "starting catalog", " version=1.4.2 listen=\":8080\""),
           logrus(crash + 2.5, "info", "connected to redis", " addr=\"redis.shop.svc.cluster.local:6379\"")]
    cur += [logrus(T - 3600 * 4 + i * 1800 + unit("c2", i) * 100, "info", "refreshed product index",
                   " items=%d duration=%dms" % (18410 + i * 2, 130 + int(unit("d2", i) * 60))) for i in range(8)]

    def render(lines):
        return render_log(lines, b.cluster, pname)
    b.logs["logs/shop/%s/catalog.previous.log" % pname] = render(prev)
    b.logs["logs/shop/%s/catalog.log" % pname] = render(cur)

    # a CronJob whose 04:30 run completed
    sched = epoch("2026-11-28T04:30:00Z")
    job_name = "nightly-report-%d" % (sched // 60)
    cj_uid = b.uid("cronjob", "shop", "nightly-report")
    job_uid = b.uid("job", "shop", job_name)
    job_container = container("report", "registry.example.com/shop/reports:1.2.0",
                              args=["generate", "--period=daily", "--upload=s3://acme-reports/shop/"],
                              env_=[env("REPORTS_DB_DSN", secret=("reports-db", "dsn"))],
                              resources=res("100m", "128Mi", None, "512Mi"))
    job_template = pod_template_spec([job_container], restart="OnFailure")
    job_labels = {"batch.kubernetes.io/controller-uid": job_uid, "batch.kubernetes.io/job-name": job_name,
                  "controller-uid": job_uid, "job-name": job_name}
    started, finished = sched + 3, sched + 74
    jpod_name = "%s-%s" % (job_name, safe(5, b.cluster, job_name))
    jpod = make_pod(b, "shop", jpod_name, owner=("Job", job_name, job_uid), labels=job_labels,
                    spec=job_template, node=n2, created=sched + 1,
                    statuses={"report": Done(started, finished)}, phase="Succeeded", finished=finished,
                    generate_name=job_name + "-", status_changed=finished + 1)
    add_scheduled(b, "shop", jpod, n2, sched + 1)
    container_events(b, "shop", jpod, job_container, Done(started, finished))
    job_spec = {"backoffLimit": 2, "completionMode": "NonIndexed", "completions": 1, "manualSelector": False,
                "parallelism": 1, "podReplacementPolicy": "TerminatingOrFailed",
                "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": job_uid}}, "suspend": False,
                "template": {"metadata": {"creationTimestamp": None, "labels": job_labels}, "spec": job_template},
                "ttlSecondsAfterFinished": 86400}
    job_status = {"completionTime": iso(finished + 2),
                  "conditions": [{"lastProbeTime": iso(finished + 2), "lastTransitionTime": iso(finished + 2),
                                  "message": "Reached expected number of succeeded pods",
                                  "reason": "CompletionsReached", "status": "True", "type": "SuccessCriteriaMet"},
                                 {"lastProbeTime": iso(finished + 2), "lastTransitionTime": iso(finished + 2),
                                  "message": "Reached expected number of succeeded pods",
                                  "reason": "CompletionsReached", "status": "True", "type": "Complete"}],
                  "ready": 0, "startTime": iso(sched + 1), "succeeded": 1, "terminating": 0,
                  "uncountedTerminatedPods": {}}
    jmeta = {"annotations": {"batch.kubernetes.io/cronjob-scheduled-timestamp": iso(sched)},
             "creationTimestamp": iso(sched), "generation": 1, "labels": job_labels, "name": job_name,
             "namespace": "shop",
             "ownerReferences": [{"apiVersion": "batch/v1", "blockOwnerDeletion": True, "controller": True,
                                  "kind": "CronJob", "name": "nightly-report", "uid": cj_uid}],
             "uid": job_uid}
    jmeta["managedFields"] = [
        mf("kube-controller-manager", sched, {"metadata": pick(jmeta, "annotations", "labels", "ownerReferences"),
                                              "spec": {k: v for k, v in job_spec.items() if k != "selector"}}, api="batch/v1"),
        mf("kube-controller-manager", finished + 2, {"status": job_status}, api="batch/v1", subresource="status")]
    jmeta["resourceVersion"] = b.rv(finished + 2, "job", job_name)
    b.add("shop", "jobs", {"apiVersion": "batch/v1", "kind": "Job", "metadata": jmeta, "spec": job_spec,
                           "status": job_status})
    add_event(b, "shop", ("Job", job_name, job_uid), "SuccessfulCreate", "Created pod: " + jpod_name, sched + 1,
              component="job-controller", api="batch/v1")
    add_event(b, "shop", ("Job", job_name, job_uid), "Completed", "Job completed", finished + 2,
              component="job-controller", api="batch/v1")
    cj_created = T - 86400 * 58
    cj_spec = {"concurrencyPolicy": "Forbid", "failedJobsHistoryLimit": 1,
               "jobTemplate": {"metadata": {"creationTimestamp": None},
                               "spec": {"backoffLimit": 2, "template": {"metadata": {"creationTimestamp": None},
                                                                        "spec": job_template},
                                        "ttlSecondsAfterFinished": 86400}},
               "schedule": "30 4 * * *", "successfulJobsHistoryLimit": 3, "suspend": False, "timeZone": "Etc/UTC"}
    cj_status = {"active": None, "lastScheduleTime": iso(sched), "lastSuccessfulTime": iso(finished + 2)}
    del cj_status["active"]
    cmeta = {"annotations": helm_annotations("reports", "shop"), "creationTimestamp": iso(cj_created),
             "generation": 1, "labels": helm_labels("nightly-report"), "name": "nightly-report", "namespace": "shop",
             "uid": cj_uid}
    cmeta["managedFields"] = [
        mf(HELM, cj_created, {"metadata": pick(cmeta, "annotations", "labels"), "spec": cj_spec}, api="batch/v1"),
        mf("kube-controller-manager", finished + 3, {"status": cj_status}, api="batch/v1", subresource="status")]
    cmeta["resourceVersion"] = b.rv(finished + 3, "cj")
    b.add("shop", "cronjobs", {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": cmeta, "spec": cj_spec,
                               "status": cj_status})
    add_event(b, "shop", ("CronJob", "nightly-report", cj_uid), "SuccessfulCreate", "Created job " + job_name, sched,
              component="cronjob-controller", api="batch/v1")
    add_event(b, "shop", ("CronJob", "nightly-report", cj_uid), "SawCompletedJob",
              "Saw completed job: %s, condition: Complete" % job_name, finished + 3,
              component="cronjob-controller", api="batch/v1")
    secret(b, "shop", "reports-db", ["dsn"], cj_created)

    # node-exporter DaemonSet in monitoring
    ne = pod_template_spec([container(
        "node-exporter", "quay.io/prometheus/node-exporter:v1.8.2",
        args=["--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--path.rootfs=/host/root",
              "--web.listen-address=[$(HOST_IP)]:9100"],
        env_=[env("HOST_IP", "0.0.0.0")], ports=[("metrics", 9100)],
        resources=res("10m", "32Mi", None, "64Mi"), liveness=http_probe("/", 9100), readiness=http_probe("/", 9100),
        mounts=[mount("proc", "/host/proc", read_only=True), mount("sys", "/host/sys", read_only=True),
                mount("root", "/host/root", read_only=True)],
        security={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True})],
        sa="node-exporter", security={"fsGroup": 65534, "runAsGroup": 65534, "runAsNonRoot": True, "runAsUser": 65534},
        volumes=[{"hostPath": {"path": "/proc", "type": ""}, "name": "proc"},
                 {"hostPath": {"path": "/sys", "type": ""}, "name": "sys"},
                 {"hostPath": {"path": "/", "type": ""}, "name": "root"}],
        extra={"hostNetwork": True, "hostPID": True, "nodeSelector": {"kubernetes.io/os": "linux"}})
    ne_created = T - 86400 * 45
    ne_pods = daemonset(b, "monitoring", "node-exporter", template_spec=ne,
                        nodes=[(n1, ne_created + 20), (n2, ne_created + 21)], created=ne_created,
                        release="kube-prometheus-stack")
    service(b, "monitoring", "node-exporter", ip=b._svc_ip("node-exporter"), ports=[("metrics", 9100, 9100)],
            selector={"app.kubernetes.io/name": "node-exporter"}, created=ne_created, backends=ne_pods,
            labels=helm_labels("node-exporter", part_of="kube-prometheus-stack"))
    return b


VELERO_LOG = [
    'Error: unknown command "server-junk" for "velero"',
    "Run 'velero --help' for usage.",
    'An error occurred: unknown command "server-junk" for "velero"',
]


def s_fleet(region, cluster, T, vpc, zones, restarts, ago):
    b = new_bundle("fleet-velero/" + region, cluster=cluster,
                   context="arn:aws:eks:%s:123456789012:cluster/%s" % (region, cluster), flavor="eks", T=T,
                   namespaces=["velero"], region=region)
    nodes = []
    for i, z in enumerate(zones):
        third = 16 * (i + 1) + int(unit(cluster, i) * 15)
        host = 10 + int(unit(cluster, "h", i) * 240)
        ip = "%s.%d.%d" % (vpc, third, host)
        nodes.append(add_node(b, "ip-%s.%s.compute.internal" % (ip.replace(".", "-"), region), zone=z, ip=ip,
                              pod_cidr="%s.%d.0/24" % (vpc, third), instance="m6i.large",
                              created=b.birth + 86400 * (10 + i)))
    ns = "velero"
    labels = {"app.kubernetes.io/instance": "velero", "app.kubernetes.io/managed-by": "Helm",
              "app.kubernetes.io/name": "velero", "helm.sh/chart": "velero-7.2.1"}
    selector = {"app.kubernetes.io/instance": "velero", "app.kubernetes.io/name": "velero"}
    plugin = container("velero-plugin-for-aws", "velero/velero-plugin-for-aws:v1.10.1",
                       mounts=[mount("plugins", "/target")])
    spec = pod_template_spec([container(
        "velero", "velero/velero:v1.14.1", command=["/velero"],
        args=["server-junk", "--features=", "--uploader-type=kopia"],
        env_=[env("VELERO_SCRATCH_DIR", "/scratch"), env("VELERO_NAMESPACE", field="metadata.namespace"),
              env("LD_LIBRARY_PATH", "/plugins"), env("AWS_SHARED_CREDENTIALS_FILE", "/credentials/cloud")],
        ports=[("http-monitoring", 8085)], resources=res("500m", "128Mi", "1", "512Mi"),
        liveness=http_probe("/metrics", "http-monitoring", initial=10, period=30, timeout=5),
        readiness=http_probe("/metrics", "http-monitoring", initial=10, period=30, timeout=5),
        mounts=[mount("plugins", "/plugins"), mount("scratch", "/scratch"),
                mount("cloud-credentials", "/credentials")])],
        init=[plugin], sa="velero-server", grace=3600,
        volumes=[{"emptyDir": {}, "name": "plugins"}, {"emptyDir": {}, "name": "scratch"},
                 {"name": "cloud-credentials", "secret": {"defaultMode": 420, "secretName": "velero"}}])
    tl = crash_loop(T, restarts, ago, lambda k: 0.03 + unit(cluster, "v", k) * 0.05, cluster + "velero")
    created = int(tl.instances[0][0]) - 6
    st = Loop(tl, "Error", 1, logs=lambda s, f: [(s + 0.021 + i * 0.0001, x) for i, x in enumerate(VELERO_LOG)])
    [pod] = deployment(b, ns, "velero", template_spec=spec, created=created - 5, labels=labels,
                       selector=selector, pod_labels=dict(selector, name="velero", component="velero"),
                       release="velero",
                       template_annotations={"prometheus.io/path": "/metrics", "prometheus.io/port": "8085",
                                             "prometheus.io/scrape": "true"},
                       pods=[dict(node=nodes[0], created=created, statuses={"velero": st},
                                  init_statuses={"velero-plugin-for-aws": Done(created + 2, created + 3)})])
    write_logs(b, ns, pod, "velero", st)
    na = pod_template_spec([container(
        "node-agent", "velero/velero:v1.14.1", command=["/velero"], args=["node-agent", "server"],
        env_=[env("VELERO_NAMESPACE", field="metadata.namespace"), env("NODE_NAME", field="spec.nodeName"),
              env("VELERO_SCRATCH_DIR", "/scratch")],
        ports=[("http-monitoring", 8085)], resources=res("500m", "512Mi", "1", "1Gi"),
        mounts=[mount("host-pods", "/host_pods"), mount("scratch", "/scratch")],
        security={"privileged": False})],
        sa="velero-server", volumes=[{"hostPath": {"path": "/var/lib/kubelet/pods", "type": ""}, "name": "host-pods"},
                                     {"emptyDir": {}, "name": "scratch"}])
    daemonset(b, ns, "node-agent", template_spec=na, nodes=[(n, created + 1) for n in nodes],
              created=created - 5, release="velero")
    service(b, ns, "velero", ip=b._svc_ip("velero"), ports=[("http-monitoring", 8085, "http-monitoring")],
            selector=selector, created=created - 5, not_ready=[pod], labels=labels)
    secret(b, ns, "velero", ["cloud"], created - 6, labels=labels)
    configmap(b, ns, "velero-server-config", ["config.yaml"], created - 6)
    return b


SAMPLES = [
    # (builder, namespace, workload kind, workload, container, container kind, cause)
    (s_no_foreground_plain, "shop", "Deployment", "config-sync", "config-sync", "app", "no-foreground-process"),
    (s_no_foreground_probes, "shop", "Deployment", "feature-flags", "feature-flags", "app", "no-foreground-process"),
    (s_oom_killed, "shop", "Deployment", "payments", "payments", "app", "oom-killed"),
    (s_liveness_probe_kill, "shop", "Deployment", "orders", "orders", "app", "liveness-probe-kill"),
    (s_bad_args, "shop", "Deployment", "inventory", "inventory", "app", "bad-args"),
    (s_exec_format, "media", "Deployment", "thumbnailer", "worker", "app", "exec-format"),
    (s_dependency_unreachable, "shop", "Deployment", "storefront", "storefront", "app", "dependency-unreachable"),
    (s_missing_env, "shop", "Deployment", "checkout", "checkout", "app", "invalid-app-config"),
    (s_init_container_loop, "shop", "Deployment", "reviews", "wait-for-migrations", "init", "dns-failure"),
    (s_healthy, "-", "-", "-", "-", "-", "none"),
    (lambda: s_fleet("eu-west-1", "prod-eu-west-1", epoch("2026-11-28T05:00:00Z"), "10.20",
                     ["eu-west-1a", "eu-west-1b"], 38, 281),
     "velero", "Deployment", "velero", "velero", "app", "bad-args"),
    (lambda: s_fleet("us-east-1", "prod-us-east-1", epoch("2026-11-28T05:03:27Z"), "10.30",
                     ["us-east-1a", "us-east-1b"], 19, 144),
     "velero", "Deployment", "velero", "velero", "app", "bad-args"),
    (lambda: s_fleet("ap-south-1", "prod-ap-south-1", epoch("2026-11-28T04:58:41Z"), "10.40",
                     ["ap-south-1a", "ap-south-1b"], 3, 15),
     "velero", "Deployment", "velero", "velero", "app", "bad-args"),
]


def main():
    bundles = [(build(), row) for build, *row in SAMPLES]
    for top in sorted({b.rel.split("/")[0] for b, _ in bundles}):
        shutil.rmtree(os.path.join(HERE, top), ignore_errors=True)
    rows = ["bundle\tnamespace\tworkload_kind\tworkload\tcontainer\tcontainer_kind\tcause"]
    for b, row in bundles:
        b.write()
        rows.append("\t".join([b.rel] + row))
    with open(os.path.join(HERE, "expected.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
