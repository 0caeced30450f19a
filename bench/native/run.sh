#!/usr/bin/env bash
# Builds and runs the convolution micro-benchmark (bench/native/conv_bench.c): im2col + OpenBLAS
# sgemm against oneDNN, one thread, seed-000 shapes. Needs libopenblas-dev and libdnnl-dev.
# Usage: bash bench/native/run.sh [repetitions]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/../../native/src"
out="${TMPDIR:-/tmp}/vae_conv_bench.$$"
trap 'rm -f "$out"' EXIT
${CC:-cc} -O3 -std=gnu11 -fno-math-errno -fno-trapping-math -DVAE_DNNL -Wall -Wno-unused-parameter \
  "$here/conv_bench.c" "$src/kernels.c" "$src/conv_dnnl.c" -o "$out" -lopenblas -ldnnl -lgomp -lpthread -lm
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
# OpenBLAS picks its kernels from the CPU model, which VMs hide (generic SSE3 then); the engine
# (src/engine/native/addon.ts) sets the core type from the CPU flags: do the same here
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if grep -qw avx512bw /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
OMP_NUM_THREADS=1 nice "$out" "$@"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
