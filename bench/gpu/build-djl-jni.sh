#!/usr/bin/env bash
# Compiles DJL 0.35.0's JNI library (libdjl_torch.so) against the torch of a Python environment, for a machine
# whose torch is not the 2.7.1 the prebuilt library was made for (docs/gpu.md). Needs g++ only.
#
#   INPUTS=<folder written by jni-inputs.sh> [PYTHON=python3] bench/gpu/build-djl-jni.sh OUT_DIR
#
# A CUDA build when that torch has CUDA. Linked with --no-undefined, so a symbol that torch lacks fails here,
# not in the middle of a run. Writes OUT_DIR/libdjl_torch.so and prints the torch settings it used.
set -euo pipefail

out="${1:?usage: INPUTS=<jni-inputs folder> build-djl-jni.sh OUT_DIR}"
: "${INPUTS:?set INPUTS to the folder jni-inputs.sh wrote}"
python="${PYTHON:-python3}"
read -r torch version abi cuda < <("$python" -c '
import os, torch
print(os.path.dirname(torch.__file__), torch.__version__.split("+")[0], int(torch.compiled_with_cxx11_abi()),
      torch.version.cuda or "none")')
site="$(dirname "$torch")"
major_minor="$(echo "$version" | cut -d. -f1,2)"
std=c++17
if [ "$(printf '%s\n2.14\n' "$major_minor" | sort -V | head -1)" = "2.14" ]; then std=c++20; fi

native="$INPUTS/src/engines/pytorch/pytorch-native/src/main/native"
flags=(-std="$std" -O2 -fPIC -fvisibility-inlines-hidden -D_GLIBCXX_USE_CXX11_ABI="$abi"
  -I"$INPUTS/headers" -I"$INPUTS/src/api/src/main/native" -I"$torch/include"
  -I"$torch/include/torch/csrc/api/include")
libs=(-ltorch -ltorch_cpu -lc10)
if [ "$cuda" != "none" ]; then
  flags+=(-DUSE_CUDA)
  for include in /usr/local/cuda/include "$site"/nvidia/*/include; do
    [ -d "$include" ] && flags+=(-I"$include")
  done
  # Inlined c10/cuda code calls cudaEvent* and cudaStream*: link the CUDA runtime torch itself uses.
  cudart="$(ls "$site"/nvidia/cuda_runtime/lib/libcudart.so* /usr/local/cuda/lib64/libcudart.so 2>/dev/null | head -1)"
  [ -n "$cudart" ] || { echo "build-djl-jni.sh: torch has CUDA $cuda but no libcudart.so* was found" >&2; exit 1; }
  libs=(-ltorch -ltorch_cpu -ltorch_cuda -lc10_cuda -lc10 "$cudart")
fi
echo "torch $version at $torch, C++ ABI $abi, $std, CUDA $cuda" >&2

mkdir -p "$out/obj"
export OBJ="$out/obj"
# One g++ per source file, as many at once as there are cores; xargs fails if any of them does.
printf '%s\n' "$native"/*.cc | xargs -P "$(nproc)" -I{} \
  sh -c 'g++ "$@" -c "$0" -o "$OBJ/$(basename "$0" .cc).o"' {} "${flags[@]}"
g++ -shared -o "$out/libdjl_torch.so" "$out"/obj/*.o -L"$torch/lib" -Wl,--no-as-needed "${libs[@]}" \
  -Wl,--as-needed -Wl,-rpath,"$torch/lib" -Wl,--no-undefined
echo "$out/libdjl_torch.so"
