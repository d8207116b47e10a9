#!/usr/bin/env bash
# Run ON THE GPU MACHINE, in the repository root, with .debs/ carried (see prepare.sh).
# Unpacks the .deb files into .deps/ (never into /), configures against the CUDA LibTorch of
# the machine's Python torch, builds, runs the CUDA test and the GPU benchmarks, and a short
# CartPole run with the learner on CUDA. Outputs go to $OUT when set (the device tool), else
# to device-out/. One command, well inside 10 minutes on 16 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
deps="$root/.deps"
out="${OUT:-$root/device-out}"
mkdir -p "$deps" "$out"

# 1. Unpack the libraries and point their CMake/pkg-config files at .deps instead of /usr.
for deb in .debs/*.deb; do dpkg -x "$deb" "$deps"; done
grep -rlZ '/usr' "$deps/usr/lib/x86_64-linux-gnu/cmake" "$deps/usr/share/cmake" \
  "$deps/usr/lib/x86_64-linux-gnu/pkgconfig" "$deps/usr/share/pkgconfig" 2>/dev/null |
  xargs -0 -r sed -i "s#\([\"; (=]\)/usr/#\1$deps/usr/#g; s#^prefix=/usr#prefix=$deps/usr#"
# libzmq is linked shared: its private requirements (krb5, pgm, norm...) need no .pc files.
sed -i '/^Requires.private/d' "$deps/usr/lib/x86_64-linux-gnu/pkgconfig/libzmq.pc"
export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$deps/usr/bin:$PATH"
export PKG_CONFIG_PATH="$deps/usr/lib/x86_64-linux-gnu/pkgconfig:$deps/usr/share/pkgconfig"

# 2. Configure against the CUDA LibTorch inside Python's torch, and build.
torch_prefix="${RLFLEET_TORCH_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}"
if [ "${1:-}" = "--configure-only" ]; then
  cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$deps/usr/lib/x86_64-linux-gnu/cmake;$deps/usr/share/cmake"
  exit
fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$out/gpu.txt"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$out/gpu.txt"
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps/usr/lib/x86_64-linux-gnu/cmake;$deps/usr/share/cmake" \
  -DGTest_DIR="$deps/usr/lib/x86_64-linux-gnu/cmake/GTest" 2>&1 | tee "$out/configure.log" | tail -5
cmake --build build-cuda -j "$(nproc)" --target rlfleet algorithms_test 2>&1 | tee "$out/build.log" | tail -3

# 3. The CUDA test (it skips without a GPU), the benchmarks on CUDA and on CPU, a short run.
build-cuda/algorithms/algorithms_test --gtest_filter="DeviceTest.*" 2>&1 | tee "$out/device_test.log" | tail -3
big=(--set learner.batch_size=256 --set actor.unroll_length=20 --set replay.max_size=512
     --set "model.hidden_sizes=[512, 512]" --set learner.prefetch=2)
for device in cuda cpu; do
  build-cuda/rlfleet bench learner --device "$device" --seconds 10 "${big[@]}" \
    2>>"$out/bench.log" | tail -1 | tee -a "$out/bench_learner.jsonl"
done
build-cuda/rlfleet train configs/cartpole_impala.yaml --quiet --set learner.device=cuda \
  --set runs_dir="$root/runs-cuda" 2>&1 | tail -2 | tee "$out/train_cuda.txt"
build-cuda/rlfleet train configs/cartpole_impala.yaml --quiet --set learner.device=cpu \
  --set runs_dir="$root/runs-cuda" 2>&1 | tail -2 | tee "$out/train_cpu.txt"
