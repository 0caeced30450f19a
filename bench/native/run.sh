#!/usr/bin/env bash
# Builds and runs a native micro-benchmark, one thread: "conv" (bench/native/conv_bench.c, the
# default: im2col + OpenBLAS sgemm against oneDNN on the seed-000 convolutions) or "dense"
# (bench/native/dense_bench.c: OpenBLAS against oneDNN's sgemm on the MLPs' dense layers).
# Needs libopenblas-dev and libdnnl-dev.
# Usage: bash bench/native/run.sh [conv|dense] [repetitions]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/../../native/src"
which=conv
if [ "${1:-}" = conv ] || [ "${1:-}" = dense ]; then which=$1; shift; fi
out="${TMPDIR:-/tmp}/vae_${which}_bench.$$"
trap 'rm -f "$out"' EXIT
${CC:-cc} -O3 -std=gnu11 -fno-math-errno -fno-trapping-math -DVAE_DNNL -Wall -Wno-unused-parameter \
  "$here/${which}_bench.c" "$src/kernels.c" "$src/conv_dnnl.c" -o "$out" -lopenblas -ldnnl -lgomp -lpthread -lm
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
# OpenBLAS picks its kernels from the CPU model, which VMs hide (generic SSE3 then); the engine
# (src/engine/native/addon.ts) sets the core type from the CPU flags: do the same here
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if grep -qw avx512bw /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
OMP_NUM_THREADS=1 nice "$out" "$@"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
