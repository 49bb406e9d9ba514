#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Prints the capabilities that deploy/daemonset.yaml adds to the agent's container, in setpriv's
# form ("+bpf,+perfmon,+net_admin,+sys_admin,+sys_resource,+sys_ptrace"), so that the agent's
# tests run it with exactly the manifest's set:
#   caps=$(tests/integration/manifest_caps.sh)
#   setpriv --bounding-set=-all,$caps -- faultline agent ...
# (root's exec keeps what the bounding set holds; --inh-caps would fail with EPERM for a
# capability this process lacks, e.g. where a sandbox withholds CAP_SYS_RESOURCE.)
# Exit 1 with a message on stderr when the manifest cannot be read or names no capability,
# 77 when Debian's python3-yaml is missing.
set -eu
manifest=${1:-$(cd "$(dirname "$0")/../.." && pwd)/deploy/daemonset.yaml}
py=/usr/bin/python3
"$py" -c 'import yaml' 2>/dev/null ||
	{ echo "manifest_caps.sh: $py lacks the yaml module (apt-get install python3-yaml)" >&2; exit 77; }
exec "$py" - "$manifest" <<'PY'
import sys
import yaml

path = sys.argv[1]
try:
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
except (OSError, yaml.YAMLError) as e:
    sys.exit(f"manifest_caps.sh: {path}: {e}")
sets = []
for d in docs:
    if d.get("kind") != "DaemonSet":
        continue
    for c in d["spec"]["template"]["spec"]["containers"]:
        add = ((c.get("securityContext") or {}).get("capabilities") or {}).get("add") or []
        sets.append(add)
if len(sets) != 1 or not sets[0]:
    sys.exit(f"manifest_caps.sh: {path}: want one DaemonSet container that adds capabilities, "
             f"found {len(sets)} container(s)")
# The manifest may write CAP_BPF or BPF; setpriv wants bpf.
names = [n.lower().removeprefix("cap_") for n in sets[0]]
print(",".join("+" + n for n in names))
PY
