#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A short run of every libFuzzer target (make fuzz-build, which make test runs first), over its
# seeds and regression inputs: the targets keep building, and an input that once crashed one
# (tests/fuzz/corpus/NAME/regression-*) crashes it no more. make fuzz is the long run.
# timeout: 180
# host only: the parsers read bytes, not the kernel
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
[ -d build/fuzz/fuzz ] || { echo "SKIP: build/fuzz is missing: run make fuzz-build (make test does)"; exit 77; }
n=$(find tests/fuzz -maxdepth 1 -name 'fuzz_*.c' | wc -l)
built=$(find build/fuzz/fuzz -maxdepth 1 -name 'fuzz_*' -type f -perm -u+x | wc -l)
[ "$built" -eq "$n" ] || { echo "FAIL: $built of the $n fuzz targets are built in build/fuzz/fuzz"; exit 1; }
scripts/fuzz.sh build/fuzz "${FUZZ_SMOKE_SECONDS:-3}"
