#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# deploy/ as Kubernetes, systemd and Docker would take it, without any of them running: every
# document of deploy/daemonset.yaml is valid against its kind's schema (../shared/k8s-schemas,
# with Debian's python3-jsonschema), the DaemonSet has what docs/agent.md promises (named
# capabilities and no privileged, hostPID, the host's bpffs, cgroup2, /var/log/pods read-only,
# the ConfigMaps where the command reads them, /healthz probes, scrape annotations, every
# toleration) and nothing the API server would refuse beyond the schema (Bidirectional
# propagation in a container that is not privileged); the example plan passes `faultline lint`
# and the policy loads (as root, through `apply --dry-run --policy` too); manifest_caps.sh
# prints the manifest's capabilities; the systemd unit passes `systemd-analyze verify`; the
# Dockerfile installs the package of every library that build/faultline links.
# timeout: 60
# host only: it reads files and runs lint: nothing depends on the kernel
#
# It needs neither root nor the node world of lib.sh (network namespaces, pods), so it does not
# source lib.sh: its few helpers are below.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
FAULTLINE=$TOP/build/faultline
MANIFEST=$TOP/deploy/daemonset.yaml
UNIT=$TOP/deploy/faultline-agent.service
DOCKERFILE=$TOP/deploy/Dockerfile
# The schemas sit beside the workspace's checkouts (../shared); a clone elsewhere (CI's clean
# clone) finds them in the workspace itself.
SCHEMAS=${FAULTLINE_K8S_SCHEMAS:-$TOP/../shared/k8s-schemas}
[ -d "$SCHEMAS" ] || [ -n "${FAULTLINE_K8S_SCHEMAS:-}" ] || SCHEMAS=/work/shared/k8s-schemas
PY=/usr/bin/python3
FAILS=0
TEST_TMP=""

cleanup() {
	local rc=$?
	[ -z "$TEST_TMP" ] || rm -rf "$TEST_TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

skip() {
	echo "SKIP: $*"
	exit 77
}

ok() {
	echo "ok: $*"
}

bad() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

[ -x "$PY" ] || skip "$PY (Debian's python3) is missing"
"$PY" -c 'import yaml, jsonschema' 2>/dev/null ||
	skip "$PY lacks the yaml or jsonschema module (apt-get install python3-yaml python3-jsonschema)"
[ -d "$SCHEMAS" ] || skip "no Kubernetes schemas at $SCHEMAS"
[ -x "$FAULTLINE" ] || { echo "FAIL: $FAULTLINE is missing: run make"; exit 1; }
TEST_TMP=$(mktemp -d "/tmp/faultline-test_deploy.XXXXXX") || { echo "FAIL: mktemp"; exit 1; }

# --- the manifest: schemas and what the DaemonSet must have ----------------------------------
# The Python part prints ok:/FAIL: lines and writes the ConfigMaps' plan files to
# $TEST_TMP/plans/ and the policy to $TEST_TMP/policy.yaml for the checks after it.
"$PY" - "$MANIFEST" "$SCHEMAS" "$TEST_TMP" "$(cat "$TOP/VERSION")" \
	>"$TEST_TMP/manifest.log" 2>&1 <<'PY'
import copy
import json
import os
import sys

import jsonschema
import yaml

manifest, schemas, tmp, version = sys.argv[1:5]
SCHEMA_OF = {
    "Namespace": "namespace-v1.json",
    "ServiceAccount": "serviceaccount-v1.json",
    "ConfigMap": "configmap-v1.json",
    "DaemonSet": "daemonset-apps-v1.json",
    "ClusterRole": "clusterrole-rbac-v1.json",
    "ClusterRoleBinding": "clusterrolebinding-rbac-v1.json",
    "Service": "service-v1.json",
}
fails = 0


def check(cond, what, got=None):
    global fails
    if cond:
        print(f"ok: {what}")
    else:
        fails += 1
        print(f"FAIL: {what}" + ("" if got is None else f": got {got!r}"))


def schema(kind):
    with open(os.path.join(schemas, SCHEMA_OF[kind])) as f:
        return json.load(f)


def valid(doc, s):
    try:
        jsonschema.validate(doc, s)
        return None
    except jsonschema.ValidationError as e:
        return f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}"


with open(manifest) as f:
    docs = [d for d in yaml.safe_load_all(f) if d]
kinds = [d.get("kind") for d in docs]
check(sorted(kinds) == ["ConfigMap", "ConfigMap", "DaemonSet", "Namespace", "ServiceAccount"],
      "the manifest holds a Namespace, a ServiceAccount, two ConfigMaps and a DaemonSet", kinds)
for d in docs:
    kind, name = d.get("kind"), d.get("metadata", {}).get("name")
    if kind not in SCHEMA_OF:
        check(False, f"{kind} {name}: a kind with a schema")
        continue
    why = valid(d, schema(kind))
    check(why is None, f"{kind} {name}: valid against {SCHEMA_OF[kind]}", why)
    if kind != "Namespace":
        ns = d["metadata"].get("namespace")
        check(ns == "faultline", f"{kind} {name}: in namespace faultline", ns)

by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
ds = by.get(("DaemonSet", "faultline-agent"))
if ds is None:
    check(False, "a DaemonSet faultline-agent")
    sys.exit(1)

# The schemas are strict: a misspelt field is refused, so the validation above means something.
broken = copy.deepcopy(ds)
broken["spec"]["template"]["spec"]["hostPid"] = True
check(valid(broken, schema("DaemonSet")) is not None,
      "the DaemonSet schema refuses a misspelt field (spec.template.spec.hostPid)")

pod = ds["spec"]["template"]["spec"]
selector = ds["spec"]["selector"]["matchLabels"]
check(selector.items() <= ds["spec"]["template"]["metadata"]["labels"].items(),
      "the selector matches the pod template's labels")
check(ds["spec"].get("updateStrategy", {}).get("type") == "RollingUpdate",
      "updateStrategy RollingUpdate", ds["spec"].get("updateStrategy"))
check(pod.get("hostPID") is True, "hostPID: true", pod.get("hostPID"))
check(pod.get("hostNetwork") is True, "hostNetwork: true", pod.get("hostNetwork"))
check({"operator": "Exists"} in pod.get("tolerations", []), "a toleration '- operator: Exists'",
      pod.get("tolerations"))
grace = pod.get("terminationGracePeriodSeconds")
check(isinstance(grace, int) and 2 <= grace <= 30, "terminationGracePeriodSeconds in [2, 30]",
      grace)
check(pod.get("serviceAccountName") == "faultline-agent"
      and ("ServiceAccount", "faultline-agent") in by,
      "the pod runs as the manifest's ServiceAccount", pod.get("serviceAccountName"))
check(pod.get("automountServiceAccountToken") is False,
      "no API token mounted (the agent uses no API)")

containers = pod["containers"]
check(len(containers) == 1 and not pod.get("initContainers"), "one container, no init container")
c = containers[0]
check(c.get("image") == f"faultline:{version}", f"image faultline:{version} (VERSION)",
      c.get("image"))
cmd = (c.get("command") or []) + (c.get("args") or [])
check(cmd[:2] == ["faultline", "agent"], "the command is faultline agent", cmd)


def opt(name):
    return cmd[cmd.index(name) + 1] if name in cmd and cmd.index(name) + 1 < len(cmd) else None


check("-j" in cmd, "the agent logs JSON (-j)", cmd)
listen = opt("--listen") or ""
port = listen.rsplit(":", 1)[-1]
check(port.isdigit(), "--listen ADDR:PORT", listen)

# No privileged anywhere, and exactly the named capabilities.
for k in containers + pod.get("initContainers", []):
    check(not (k.get("securityContext") or {}).get("privileged"),
          f"container {k['name']}: not privileged")
sc = c.get("securityContext") or {}
caps = sc.get("capabilities") or {}
want_caps = ["BPF", "PERFMON", "NET_ADMIN", "SYS_ADMIN", "SYS_RESOURCE", "SYS_PTRACE"]
check(sorted(caps.get("add") or []) == sorted(want_caps),
      "capabilities add exactly " + ",".join(want_caps), caps.get("add"))
check(caps.get("drop") == ["ALL"], "capabilities drop [ALL]", caps.get("drop"))
check(sc.get("privileged") is False, "privileged: false, said explicitly", sc.get("privileged"))
check(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem: true")
# What the API server refuses beyond the schema (pkg/apis/core/validation): no_new_privs beside
# an added CAP_SYS_ADMIN, and Bidirectional propagation in a container that is not privileged.
check(not (sc.get("allowPrivilegeEscalation") is False
           and "CAP_SYS_ADMIN" in (caps.get("add") or [])),
      "no allowPrivilegeEscalation: false beside CAP_SYS_ADMIN")
for k in containers:
    for m in k.get("volumeMounts", []):
        if m.get("mountPropagation") == "Bidirectional":
            check((k.get("securityContext") or {}).get("privileged") is True,
                  f"mount {m['name']}: Bidirectional only in a privileged container")

res = c.get("resources") or {}
for part in ("requests", "limits"):
    check(set((res.get(part) or {}).keys()) >= {"cpu", "memory"},
          f"resources.{part} cpu and memory", res.get(part))

for probe in ("livenessProbe", "readinessProbe"):
    get = (c.get(probe) or {}).get("httpGet") or {}
    check(get.get("path") == "/healthz" and str(get.get("port")) == port,
          f"{probe} on GET /healthz, port {port}", get)
ann = ds["spec"]["template"]["metadata"].get("annotations") or {}
check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == port
      and ann.get("prometheus.io/path") == "/metrics",
      f"prometheus.io scrape annotations for :{port}/metrics", ann)

vols = {v["name"]: v for v in pod.get("volumes", [])}
mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
for m in mounts.values():
    check(m["name"] in vols, f"mount {m['mountPath']}: its volume {m['name']} exists")


def host_mount(path, what, read_only=None, propagation=None):
    m = mounts.get(path)
    v = vols.get(m["name"], {}) if m else {}
    check(m is not None and (v.get("hostPath") or {}).get("path") == path,
          f"{what}: the host's {path} mounted at {path}", m)
    if m is None:
        return
    if read_only is not None:
        check(bool(m.get("readOnly")) == read_only, f"{what}: readOnly {read_only}",
              m.get("readOnly"))
    if propagation is not None:
        check(m.get("mountPropagation") == propagation, f"{what}: mountPropagation {propagation}",
              m.get("mountPropagation"))


# HostToContainer: the API server allows Bidirectional to privileged containers only; the pins
# are the host's anyway, on the host's bpffs (docs/agent.md, "bpffs").
host_mount("/sys/fs/bpf", "bpffs", read_only=False, propagation="HostToContainer")
host_mount("/sys/fs/cgroup", "cgroup2", read_only=False)
host_mount("/var/log/pods", "pod log folders", read_only=True)
host_mount("/sys/kernel/tracing", "tracefs", read_only=True)


def configmap_at(path, cm):
    m = mounts.get(path)
    v = vols.get(m["name"], {}) if m else {}
    check(m is not None and (v.get("configMap") or {}).get("name") == cm
          and m.get("readOnly") is True,
          f"ConfigMap {cm} mounted read-only at {path}", m)
    check(("ConfigMap", cm) in by, f"ConfigMap {cm} is in the manifest")


plans_dir = opt("--plans")
check(plans_dir == "/etc/faultline/plans", "--plans /etc/faultline/plans", plans_dir)
configmap_at(plans_dir, "faultline-plans")
policy = opt("--policy") or "/etc/faultline/policy.yaml"
configmap_at(os.path.dirname(policy), "faultline-policy")

# The ConfigMaps' contents, for the checks that run faultline.
plans = (by.get(("ConfigMap", "faultline-plans")) or {}).get("data") or {}
check(len(plans) >= 1, "faultline-plans holds an example plan", list(plans))
os.makedirs(os.path.join(tmp, "plans"))
for key, text in plans.items():
    with open(os.path.join(tmp, "plans", key), "w") as f:
        f.write(text)
pol = (by.get(("ConfigMap", "faultline-policy")) or {}).get("data") or {}
key = os.path.basename(policy)
check(key in pol, f"faultline-policy has the key {key} that --policy reads", list(pol))
if key in pol:
    with open(os.path.join(tmp, "policy.yaml"), "w") as f:
        f.write(pol[key])
    try:
        p = yaml.safe_load(pol[key])
        check(isinstance(p, dict) and set(p) == {"protect", "limits"},
              "the policy has protect and limits", p)
        check("kube-system" in p["protect"]["namespaces"], "the policy protects kube-system")
        check("169.254.169.254/32" in p["protect"]["cidrs"],
              "the policy protects 169.254.169.254/32")
    except (yaml.YAMLError, KeyError, TypeError) as e:
        check(False, "the policy loads", str(e))
sys.exit(1 if fails else 0)
PY
rc=$?
cat "$TEST_TMP/manifest.log"
[ $rc -eq 0 ] ||
	bad "deploy/daemonset.yaml: $(grep -c '^FAIL' "$TEST_TMP/manifest.log") check(s) failed"

# --- the example plan and the policy, as faultline reads them --------------------------------
n=0
for f in "$TEST_TMP"/plans/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	if out=$("$FAULTLINE" lint "$f" 2>&1); then
		ok "faultline-plans key $(basename "$f"): faultline lint passes"
	else
		bad "faultline-plans key $(basename "$f"): faultline lint: $out"
	fi
done
[ $n -ge 1 ] || bad "no plan taken from faultline-plans"
# A plan the agent would apply only once the key is renamed (it reads *.yaml, *.yml, *.json):
# applying the manifest must inject no fault by itself.
live=$(find "$TEST_TMP/plans" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) |
	wc -l)
[ "$live" -eq 0 ] && ok "no key of faultline-plans is a live plan file (*.yaml, *.yml, *.json)" ||
	bad "faultline-plans has $live live plan file(s): applying the manifest would inject faults"

# The policy through faultline's own parser: `apply --dry-run --policy` of a plan on lo reads
# it (a broken policy exits 2 with its position) and changes nothing. It needs root for the
# privilege check; without root the YAML check above stands alone.
if [ -f "$TEST_TMP/policy.yaml" ] && [ "$(id -u)" -eq 0 ]; then
	cat >"$TEST_TMP/policy-probe.yaml" <<'EOF'
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: deploy-policy-probe}
spec:
  duration: 1m
  targets:
    lo: {interfaces: [lo]}
  faults:
    - {name: probe, target: lo, blackhole: {}}
EOF
	out=$(FAULTLINE_PIN_DIR=/sys/fs/bpf/faultline-test-$$ timeout 30 "$FAULTLINE" apply \
		--dry-run --policy "$TEST_TMP/policy.yaml" "$TEST_TMP/policy-probe.yaml" 2>&1 >/dev/null)
	rc=$?
	rm -rf "/sys/fs/bpf/faultline-test-$$"
	[ $rc -eq 0 ] && ok "faultline-policy's policy.yaml: faultline apply --dry-run --policy takes it" ||
		bad "faultline-policy's policy.yaml: apply --dry-run --policy exit $rc: $out"
else
	echo "# not root: the policy is checked as YAML only"
fi

# --- manifest_caps.sh --------------------------------------------------------------------------
want="+bpf,+perfmon,+net_admin,+sys_admin,+sys_resource,+sys_ptrace"
got=$("$TOP/tests/integration/manifest_caps.sh" 2>&1)
[ "$got" = "$want" ] && ok "manifest_caps.sh prints $want" ||
	bad "manifest_caps.sh: got '$got', want '$want'"

# --- the systemd unit ----------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	# verify wants ExecStart's binary to exist: the built one stands in for /usr/local/bin's.
	# --man=no: the man page need not be installed here.
	sed "s|/usr/local/bin/faultline|$FAULTLINE|" "$UNIT" >"$TEST_TMP/faultline-agent.service"
	out=$(systemd-analyze verify --man=no "$TEST_TMP/faultline-agent.service" 2>&1)
	rc=$?
	# An unknown or misspelt key is only a warning: any output counts as a failure.
	[ $rc -eq 0 ] && [ -z "$out" ] && ok "systemd-analyze verify faultline-agent.service: clean" ||
		bad "systemd-analyze verify faultline-agent.service (exit $rc): $out"
else
	echo "# systemd-analyze is not installed: the unit is not verified"
fi
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr ' ' '\n' | sed 's/^CAP_//' |
	tr 'A-Z' 'a-z' | sort | tr '\n' ' ')
want_sorted=$(tr ',' '\n' <<<"${want//+/}" | sort | tr '\n' ' ')
[ "$caps" = "$want_sorted" ] && ok "the unit's CapabilityBoundingSet is the manifest's" ||
	bad "the unit's CapabilityBoundingSet: got '$caps', want '$want_sorted'"

# --- the Dockerfile: a package for every library the binary links ------------------------------
grep -qx 'FROM debian:bookworm-slim' "$DOCKERFILE" && ok "Dockerfile: FROM debian:bookworm-slim" ||
	bad "Dockerfile: not FROM debian:bookworm-slim"
# The binary's own NEEDED entries: what those libraries need in turn, their packages' dependencies
# bring (libmicrohttpd12 brings gnutls, libbpf1 zlib).
if command -v dpkg >/dev/null && command -v readelf >/dev/null &&
	command -v ldd >/dev/null; then
	sonames=$(readelf -d "$FAULTLINE" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
	[ -n "$sonames" ] || bad "readelf -d $FAULTLINE lists no NEEDED library"
	libs=$(ldd "$FAULTLINE")
	for so in $sonames; do
		# The loader's path, as dpkg knows it: /lib or /usr/lib (merged /usr).
		path=$(awk -v so="$so" '$1 == so { print $3 }' <<<"$libs")
		pkg=""
		[ -z "$path" ] ||
			pkg=$( (dpkg -S "$path" || dpkg -S "/usr$path" || dpkg -S "${path#/usr}") \
				2>/dev/null | head -n 1 | cut -d: -f1)
		case $pkg in
		libc6) continue ;; # libc and libm are in every Debian image
		"") bad "no installed package has $so (${path:-not found by ldd})" ;;
		*)
			grep -qw -- "$pkg" "$DOCKERFILE" && ok "Dockerfile installs $pkg ($so)" ||
				bad "Dockerfile does not install $pkg, which has $so"
			;;
		esac
	done
else
	echo "# dpkg, readelf or ldd missing: the Dockerfile's packages are not checked"
fi

if [ "$FAILS" -ne 0 ]; then
	echo "FAIL: test_deploy: $FAILS check(s) failed (FAIL lines above)"
	exit 1
fi
echo "ok: test_deploy: every check held"
