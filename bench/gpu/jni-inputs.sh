#!/usr/bin/env bash
# Gathers, where a JDK 17 and the built trainer are, what build-djl-jni.sh needs on a GPU machine that has
# neither: DJL 0.35.0's JNI sources (from a DJL source tree at tag v0.35.0, Apache-2.0), the JNI headers of the
# JDK, and the header `javac -h` writes for DJL's PyTorchLibrary. Nothing of it belongs in this repository.
#
#   DJL_SRC=<djl checkout at v0.35.0> bench/gpu/jni-inputs.sh OUT_DIR
#
# Get the tree with `git clone --depth 1 --branch v0.35.0 https://github.com/deepjavalibrary/djl` or the tag's
# archive. OUT_DIR then holds src/ (about 300 KB) and headers/; carry it to the GPU machine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:?usage: DJL_SRC=<djl v0.35.0 tree> jni-inputs.sh OUT_DIR}"
: "${DJL_SRC:?set DJL_SRC to a DJL source tree at tag v0.35.0}"
native="$DJL_SRC/engines/pytorch/pytorch-native/src/main/native"
library="$DJL_SRC/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
[ -d "$native" ] && [ -f "$library" ] || { echo "jni-inputs.sh: $DJL_SRC is not a DJL source tree" >&2; exit 2; }
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
[ -f "$java_home/include/jni.h" ] || { echo "jni-inputs.sh: no JDK with include/jni.h at $java_home" >&2; exit 2; }
lib="$root/trainer-image/target/lib"
[ -d "$lib" ] || { echo "jni-inputs.sh: build the trainer first (mvn -pl trainer-image -am package -DskipTests)" >&2; exit 2; }

mkdir -p "$out/src/engines/pytorch/pytorch-native/src/main" "$out/src/api/src/main/native/djl" "$out/headers"
cp -r "$native" "$out/src/engines/pytorch/pytorch-native/src/main/"
cp "$DJL_SRC/api/src/main/native/djl/utils.h" "$out/src/api/src/main/native/djl/"
# Fixed upstream after the tag: these vectors are written by index, so they need a size, not a capacity.
sed -i 's/jptrs\.reserve(len);/jptrs.resize(len);/' \
  "$out/src/engines/pytorch/pytorch-native/src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_ivalue.cc"
cp "$java_home/include/jni.h" "$java_home/include/linux/jni_md.h" "$out/headers/"
classes="$(mktemp -d)"
javac -h "$out/headers" -d "$classes" -cp "$lib/*" "$library"
rm -rf "$classes"
ls "$out/headers"
