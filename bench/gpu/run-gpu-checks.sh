#!/usr/bin/env bash
# The GPU checks and figures of docs/gpu.md in one go, on a machine with an NVIDIA GPU and a Python whose torch
# has CUDA (with transformers and peft, and bitsandbytes for QLoRA, for the peft side). Our side needs a Java 17
# runtime and the trainer's jars; when that torch is not 2.7.1, DJL's JNI is compiled against it first (INPUTS,
# the folder bench/gpu/jni-inputs.sh wrote, and g++).
#
#   JAVA=<java 17> CP="<folder of the jars>/*" [INPUTS=<jni inputs>] [PYTHON=python3] \
#     bench/gpu/run-gpu-checks.sh OUT_DIR
#
# In order, each step logged under OUT_DIR and the first failure ending the run:
#   1. libtorch from that torch: PYTORCH_LIBRARY_PATH, PYTORCH_VERSION and PYTORCH_FLAVOR (cu<CUDA version>), the
#      JNI built and put where DJL looks for it (DJL_CACHE_DIR, default OUT_DIR/djl-cache), JNA told where the
#      CUDA runtime is;
#   2. doctor --require-gpu, with every native symbol bound at load (LD_BIND_NOW=1), so a JNI that does not fit
#      this libtorch fails here and not in the middle of a benchmark;
#   3. bench/peft/compare.sh for the Llama-3.2-1B LoRA and the Llama-3.1-8B QLoRA shapes;
#   4. the memory plan against measured peaks: Llama-3.2-1B LoRA at batch 2 x 2048, torchtune's 8B QLoRA recipe,
#      and the latter with offloaded activations and optimizer (docs/gpu.md, "Measured figures");
#   5. bench/reference/make_fixtures.py, when bench/reference/prepare.sh's inputs are in .kubelora/reference.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mkdir -p "${1:?usage: JAVA=... CP=... run-gpu-checks.sh OUT_DIR}" && cd "$1" && pwd)"
PYTHON="${PYTHON:-python3}"
JAVA="${JAVA:-java}"
CP="${CP:-$root/trainer-image/target/kubelora-trainer.jar:$root/trainer-image/target/lib/*}"
export PYTHON JAVA CP

read -r torch version cuda < <("$PYTHON" -c '
import os, torch
print(os.path.dirname(torch.__file__), torch.__version__.split("+")[0], torch.version.cuda or "none")')
[ "$cuda" != "none" ] || { echo "run-gpu-checks.sh: torch $version at $torch has no CUDA" >&2; exit 2; }
flavor="cu$(echo "$cuda" | tr -d .)"
export PYTORCH_LIBRARY_PATH="$torch/lib" PYTORCH_VERSION="$version" PYTORCH_FLAVOR="$flavor"
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$out/djl-cache}"
echo "torch $version (CUDA $cuda) at $torch: PYTORCH_FLAVOR=$flavor, DJL_CACHE_DIR=$DJL_CACHE_DIR" | tee "$out/setup.txt"

if [ "$version" != "2.7.1" ]; then
  jni="$DJL_CACHE_DIR/pytorch/$version-$flavor-linux-x86_64/0.35.0-libdjl_torch.so"
  if [ ! -f "$jni" ]; then
    : "${INPUTS:?torch $version is not 2.7.1: set INPUTS to the folder jni-inputs.sh wrote}"
    echo "building DJL's JNI against torch $version (log: $out/djl-jni.log)" | tee -a "$out/setup.txt"
    INPUTS="$INPUTS" bash "$root/bench/gpu/build-djl-jni.sh" "$out/djl-jni" > "$out/djl-jni.log" 2>&1 \
      || { tail -40 "$out/djl-jni.log" >&2; exit 1; }
    mkdir -p "$(dirname "$jni")"
    cp "$out/djl-jni/libdjl_torch.so" "$jni"
  fi
fi

cudart="$(ls "$(dirname "$torch")"/nvidia/cuda_runtime/lib/libcudart.so* /usr/local/cuda/lib64/libcudart.so* \
  2>/dev/null | head -1 || true)"
export JAVA_OPTS="${JAVA_OPTS:-}${cudart:+ -Djna.library.path=$(dirname "$cudart")}"
echo "JAVA_OPTS=$JAVA_OPTS" | tee -a "$out/setup.txt"

# shellcheck disable=SC2086 # JAVA_OPTS is a list of options
LD_BIND_NOW=1 OMP_WAIT_POLICY=PASSIVE "$JAVA" $JAVA_OPTS -Dai.djl.offline=true -Djava.awt.headless=true -cp "$CP" \
  io.kubelora.trainer.cli.Main doctor --require-gpu 2>&1 | tee "$out/doctor.txt"

OUT="$out/llama-3.2-1b-lora" bash "$root/bench/peft/compare.sh" \
  --shape llama-3.2-1b --seq 2048 --batch 1 --checkpointing 2>&1 | tee "$out/llama-3.2-1b-lora.txt"
OUT="$out/llama-3.1-8b-qlora" bash "$root/bench/peft/compare.sh" \
  --shape llama-3.1-8b --nf4 --seq 2048 --batch 1 --checkpointing 2>&1 | tee "$out/llama-3.1-8b-qlora.txt"

kubelora() {
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  PYTORCH_CUDA_ALLOC_CONF=backend:cudaMallocAsync OMP_WAIT_POLICY=PASSIVE "$JAVA" $JAVA_OPTS -Dai.djl.offline=true \
    -Djava.awt.headless=true -cp "$CP" io.kubelora.trainer.cli.Main "$@"
}
recipe=(--shape llama-3.1-8b --nf4 --bf16 --checkpointing --rank 8
  --targets q_proj,v_proj,o_proj,gate_proj,up_proj,down_proj --batch 2 --seq 2048 --device cuda)
{
  kubelora bench --shape llama-3.2-1b --bf16 --checkpointing --batch 2 --seq 2048 --device cuda
  kubelora bench "${recipe[@]}"
  kubelora bench "${recipe[@]}" --offload-activations
  kubelora bench "${recipe[@]}" --optimizer-offload
} 2>&1 | tee "$out/memory-plan.txt"

if [ -d "$root/.kubelora/reference" ]; then
  (cd "$root" && "$PYTHON" bench/reference/make_fixtures.py) 2>&1 | tee "$out/fixtures.txt"
else
  echo "no .kubelora/reference here: run bench/reference/prepare.sh where the project builds, carry it, run again" \
    | tee "$out/fixtures.txt"
fi
echo "done: $out"
