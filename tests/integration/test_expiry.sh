#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Deadlines are enforced by the BPF programs: a plan with a 3 s duration faults traffic at first and
# has no effect at all 4 s after apply, with no faultline process running in between. The next
# faultline command sweeps the expired plan, and nothing of it remains.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
svc_serve tcp 8080 8081 udp 7000

plan=$(write_plan expiry.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: short
spec:
  duration: 3s
  targets:
    app:
      pods: [$a_uid]
  faults:
    - name: tcp-down
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
      blackhole: {}
    - name: udp-gone
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7000]}
      loss: {percent: 100}
    - name: refused
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}
      reject: {errno: ECONNREFUSED}
EOF
)
start_ms=$(($(date +%s%N) / 1000000))
apply_plan "$plan"

out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 500)
assert_eq "$(word 2 "$out")" ECONNREFUSED "while active: connect to port 8081"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 500)
assert_eq "$(word 1 "$out")" timeout "while active: connect to port 8080"
out=$(in_pod a "$FLTNET" udp "$SVC_IP4" 7000 --count 50 --wait-ms 200)
assert_eq "$(word 4 "$out")" 0 "while active: UDP echoes received of 50"
elapsed=$(($(date +%s%N) / 1000000 - start_ms))
assert_range "$elapsed" 0 2999 "ms since apply when the active checks ended"

faultline_running && fail "a faultline process is running after apply returned"
echo "ok: no faultline process runs"
sleep "$(awk -v ms=$((4000 - ($(date +%s%N) / 1000000 - start_ms))) 'BEGIN { print (ms > 0 ? ms / 1000 : 0) }')"
faultline_running && fail "a faultline process ran during the wait"

# Not swept yet (its pins are all there): only the programs' own deadline checks make these pass.
pins=$(find "$FAULTLINE_PIN_DIR" -mindepth 1 ! -type d | wc -l)
assert_range "$pins" 1 1000 "4 s after apply: the plan's pins, not swept yet"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 1000)
assert_eq "$(word 1 "$out")" ok "4 s after apply: connect to port 8080"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 1000)
assert_eq "$(word 1 "$out")" ok "4 s after apply: connect to port 8081"
out=$(in_pod a "$FLTNET" udp "$SVC_IP4" 7000 --count 200)
assert_eq "$(word 4 "$out")" 200 "4 s after apply: UDP echoes received of 200"

# Any faultline command sweeps the expired plan first.
run_faultline status
assert_eq "$FLT_RC" 0 "faultline status exit status"
assert_eq "$(faultline -j status | jq -c '.plans')" "[]" "status -j after the sweep: plans"
assert_no_flt_objects "after the sweep"
assert_no_tc_faultline "$a_veth" "after the sweep"
assert_no_cgroup_progs "$a_cg" "after the sweep"
assert_pin_dir_empty "after the sweep"
