#!/usr/bin/env bash
# Runs `kubelora bench` and bench/peft/train_peft.py back to back on the same device with the same
# options, prints both JSON reports and the ratios ours/peft (tokens/s, peak memory).
#
#   bench/peft/compare.sh --shape llama-3.2-1b --seq 2048 --batch 1 --checkpointing
#   bench/peft/compare.sh --shape llama-3.1-8b --nf4 --checkpointing --device cuda:0
#
# Every option goes to both programs unchanged (the option list is in bench/README.md), except --json,
# which this script sets itself. Environment:
#   JAVA       Java 17+ launcher for our side (default: java on PATH)
#   CP         our classpath (default: trainer-image/target/kubelora-trainer.jar:trainer-image/target/lib/*)
#   JAVA_OPTS  extra JVM options, e.g. -Djna.library.path=<dir of libcudart.so*> on a GPU machine
#   PYTHON     interpreter with torch, transformers, peft (and bitsandbytes for --nf4) (default: python3)
#   OUT        folder for ours.json, peft.json and the two logs (default: a new temporary folder)
#   ORDER      "ours-first" (default) or "peft-first"
# PYTORCH_LIBRARY_PATH, PYTORCH_VERSION and PYTORCH_FLAVOR pass through to our side (docs/gpu.md).
#   PYTORCH_CUDA_ALLOC_CONF  both sides' CUDA allocator (default backend:cudaMallocAsync): with it both read the
#              allocated and reserved peaks from the CUDA memory pool; our side cannot read the statistics of
#              libtorch's default caching allocator (its report then has peak_memory_bytes null)
set -euo pipefail
export PYTORCH_CUDA_ALLOC_CONF="${PYTORCH_CUDA_ALLOC_CONF:-backend:cudaMallocAsync}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for arg in "$@"; do
  if [ "$arg" = "--json" ]; then
    echo "compare.sh: --json is set by this script (reports go to \$OUT)" >&2
    exit 2
  fi
done

JAVA="${JAVA:-java}"
CP="${CP:-$root/trainer-image/target/kubelora-trainer.jar:$root/trainer-image/target/lib/*}"
PYTHON="${PYTHON:-python3}"
OUT="${OUT:-$(mktemp -d -t kubelora-compare.XXXXXX)}"
ORDER="${ORDER:-ours-first}"
mkdir -p "$OUT"

run_ours() {
  echo "compare.sh: ours -> $OUT/ours.json (log $OUT/ours.log)" >&2
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" "$JAVA" ${JAVA_OPTS:-} -Dai.djl.offline=true \
    -Djava.awt.headless=true -cp "$CP" io.kubelora.trainer.cli.Main bench "$@" --json "$OUT/ours.json" \
    2> >(tee "$OUT/ours.log" >&2)
}

run_peft() {
  echo "compare.sh: peft -> $OUT/peft.json (log $OUT/peft.log)" >&2
  "$PYTHON" "$root/bench/peft/train_peft.py" "$@" --json "$OUT/peft.json" 2> >(tee "$OUT/peft.log" >&2)
}

case "$ORDER" in
  ours-first) run_ours "$@"; run_peft "$@" ;;
  peft-first) run_peft "$@"; run_ours "$@" ;;
  *) echo "compare.sh: ORDER must be ours-first or peft-first, got '$ORDER'" >&2; exit 2 ;;
esac

for side in ours peft; do
  echo "== $side =="
  cat "$OUT/$side.json"
done
echo "== comparison =="
"$PYTHON" "$root/bench/peft/compare_json.py" "$OUT/ours.json" "$OUT/peft.json"
