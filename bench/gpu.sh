#!/usr/bin/env bash
# The GPU bench (`npm run bench:gpu`): NVDEC decode fps at 1, 8 and 32 streams, ONNX Runtime's CUDA provider at
# batch 1, 4 and 8, whether NVENC works, and the GPU JPEG path. Runs in under five minutes on an NVIDIA machine and
# prints why a part cannot run anywhere else (so here it is its own CPU fallback).
#
# It installs what it needs: vigil's set-up (Debian packages, npm dependencies, the build), and, for the bench only,
# onnxruntime-node's CUDA add-on, which vigil's set-up skips. That download needs the internet; where it cannot be
# fetched the bench says so and the CUDA line reports the provider as unavailable. What the bench added to
# node_modules is removed again at the end, so the machine is left as it was found.
set -euo pipefail
cd "$(dirname "$0")/.."

# the whole bench stays inside five minutes, whatever hangs
deadline=${BENCH_GPU_TIMEOUT_S:-290}

node scripts/setup.mjs

ort_bin=node_modules/onnxruntime-node/bin
before=$(mktemp)
find "$ort_bin" -type f | sort > "$before"
cleanup() {
  # only the files this bench added: the CUDA add-on's libraries
  comm -13 "$before" <(find "$ort_bin" -type f | sort) | while read -r added; do rm -f -- "$added"; done
  rm -f -- "$before"
}
trap cleanup EXIT

if ls "$ort_bin"/napi-v*/linux/x64/libonnxruntime_providers_cuda.so >/dev/null 2>&1; then
  echo "# onnxruntime-node's CUDA add-on is already installed"
elif command -v nvidia-smi >/dev/null 2>&1; then
  echo "# fetching onnxruntime-node's CUDA add-on for this bench (removed at the end)"
  if ! ONNXRUNTIME_NODE_INSTALL=cuda12 timeout 120 node node_modules/onnxruntime-node/script/install.js > /tmp/vigil-ort-cuda.log 2>&1; then
    echo "# the CUDA add-on could not be fetched (no internet?): $(tail -n 1 /tmp/vigil-ort-cuda.log)"
  fi
  rm -f /tmp/vigil-ort-cuda.log
else
  echo "# no NVIDIA driver: the CUDA add-on is not fetched"
fi

timeout "$deadline" node dist/bench/gpu.js
