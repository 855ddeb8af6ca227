#!/usr/bin/env bash
# Writes, with our own CLI and on the CPU, what bench/reference/make_fixtures.py reads:
#   .kubelora/reference/<arch>/model/       ./kubelora init-model --arch <arch> --preset tiny --seed S
#   .kubelora/reference/<arch>/init.json    how that model was made (the test regenerates it from this)
#   trainer-image/src/test/resources/reference/<arch>/adapter/
#                                           the adapter of ./kubelora train -f bench/reference/train-<arch>.yaml,
#                                           only if none is committed there (the models are deterministic, a
#                                           training run on another machine need not be)
#
#   bench/reference/prepare.sh [llama] [mistral] [qwen2]      (default: all three)
#
# Only config.json and model.safetensors of each model folder are needed by make_fixtures.py (about 33 MB
# for llama and mistral, 19 MB for qwen2), plus the adapter folders (under 100 KB each).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
work=.kubelora/reference
[ "$#" -gt 0 ] || set -- llama mistral qwen2

seed_of() {
  case "$1" in
    llama) echo 101 ;;
    mistral) echo 102 ;;
    qwen2) echo 103 ;;
    *) echo "prepare.sh: unknown architecture '$1' (llama, mistral or qwen2)" >&2; return 1 ;;
  esac
}

for arch in "$@"; do
  seed="$(seed_of "$arch")"
  if [ -e "$work/$arch" ]; then
    echo "prepare.sh: $work/$arch already exists; move it away to prepare $arch again" >&2
    exit 1
  fi
done

for arch in "$@"; do
  seed="$(seed_of "$arch")"
  ./kubelora init-model --arch "$arch" --preset tiny --seed "$seed" --out "$work/$arch/model"
  printf '{"arch": "%s", "preset": "tiny", "seed": %s}\n' "$arch" "$seed" > "$work/$arch/init.json"
  adapter="trainer-image/src/test/resources/reference/$arch/adapter"
  if [ -f "$adapter/adapter_config.json" ] && [ -f "$adapter/adapter_model.safetensors" ]; then
    echo "prepare.sh: keeping the committed adapter in $adapter (delete it to train a new one)" >&2
  else
    ./kubelora train -f "bench/reference/train-$arch.yaml"
    mkdir -p "$adapter"
    cp "$work/$arch/run/adapter/adapter_config.json" "$work/$arch/run/adapter/adapter_model.safetensors" "$adapter/"
  fi
  echo "prepare.sh: $arch model in $work/$arch/model, adapter in $adapter" >&2
done
