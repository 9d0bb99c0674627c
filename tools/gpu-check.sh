#!/bin/bash
# GPU check of TEMPO Lab's core and CLI (docs/gpu.md): on a machine with an NVIDIA GPU and a pip
# torch wheel with CUDA,
#   1. configures and builds the Qt-free tree (-DTEMPO_WITH_QT=OFF) against the LibTorch inside the
#      wheel (torch.utils.cmake_prefix_path);
#   2. runs the core tests (ctest -L core; the forward test exercises CUDA where it runs: with CUDA
#      present, `--device cuda` must be accepted);
#   3. compares CUDA and CPU logits on a generated model in f32 and bf16 (tempo_device_check; the max
#      difference of every forward is printed, a difference beyond the tolerance fails);
#   4. runs the decode benchmark on CUDA in bf16 (and f32) for a Llama 3.2 1B-shaped model, and a
#      TEMPO preset through the CLI on CUDA;
#   5. writes everything to $OUT/gpu-check.log (or build-gpu/gpu-check.log) for docs/performance.md.
# Usage: bash tools/gpu-check.sh [BUILD_DIR]   (JOBS=N for the build, default: every core)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-gpu}
log_dir=${OUT:-$build}
mkdir -p "$build" "$log_dir"
log="$log_dir/gpu-check.log"
exec > >(tee "$log") 2>&1
fail() { echo "gpu-check: FAIL: $*"; exit 1; }
step() { echo; echo "== $*"; }
status=0

step "machine"
date -u
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || fail "nvidia-smi: no NVIDIA GPU visible"
python3 - <<'PY' || fail "python3 cannot import a torch with CUDA (pip install torch)"
import torch
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuda available: {torch.cuda.is_available()}, "
      f"cxx11 abi: {torch._C._GLIBCXX_USE_CXX11_ABI}")
assert torch.cuda.is_available(), "torch sees no GPU"
PY
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
if [ "$abi" != 1 ]; then
  # The project links C++ libraries built with the new ABI (libgtest, the system's); a wheel with
  # the old ABI (torch < 2.7) would need every one of them rebuilt.
  fail "this torch wheel uses the pre-C++11 ABI: use torch >= 2.7 (or the cxx11-abi LibTorch zip)"
fi
cuda_args=()
if ! command -v nvcc > /dev/null; then
  # Torch's CMake config looks for the CUDA toolkit; the wheel's nvidia-* packages carry the
  # libraries, and nvidia-cuda-nvcc-cu12 (pip) or a system toolkit provide nvcc and headers.
  nvcc_dir=$(python3 -c 'import nvidia.cuda_nvcc, os; print(os.path.dirname(nvidia.cuda_nvcc.__file__))' 2>/dev/null || true)
  if [ -n "$nvcc_dir" ] && [ -x "$nvcc_dir/bin/nvcc" ]; then
    cuda_args=(-DCUDAToolkit_ROOT="$nvcc_dir" -DCMAKE_CUDA_COMPILER="$nvcc_dir/bin/nvcc")
  else
    echo "gpu-check: no nvcc on PATH; if configuring fails on CUDA, install the CUDA toolkit or pip nvidia-cuda-nvcc-cu12"
  fi
fi

step "configure and build (Qt-free, LibTorch from $prefix)"
export CCACHE_BASEDIR="$PWD"
cmake -S . -B "$build" -DTEMPO_WITH_QT=OFF -DTEMPO_BUILD_BENCH=ON -DCMAKE_PREFIX_PATH="$prefix" "${cuda_args[@]}" \
  || fail "cmake configure"
grep -q 'TEMPO_WITH_QT:BOOL=OFF' "$build/CMakeCache.txt" || fail "the build is not Qt-free"
cmake --build "$build" -j"${JOBS:-$(nproc)}" || fail "build"
# Direct dependencies only (readelf): a distribution LibTorch may pull Qt in through OpenCV itself.
if readelf -d "$build/src/cli/tempo-lab-cli" | grep NEEDED | grep -qi 'libQt'; then
  fail "tempo-lab-cli links Qt in the Qt-free build"
fi
ldd "$build/src/cli/tempo-lab-cli" | grep -E 'torch|c10' | sed 's/^/  /'

step "core tests"
(cd "$build" && ctest -L core --output-on-failure -j4) || { echo "gpu-check: core tests FAILED"; status=1; }
(cd "$build" && ctest -R 'ForwardTest.F16OnCpuAndCudaWithoutCudaAreRefused' --output-on-failure -V | grep -i cuda | head -5)

step "CUDA vs CPU logits"
for dtype in f32 bf16 f16; do
  "$build/tools/tempo_device_check" --device cuda --dtype "$dtype" || { echo "gpu-check: logits $dtype FAILED"; status=1; }
done

step "decode benchmark on CUDA (Llama 3.2 1B shape)"
"$build/tools/tempo_device_check" --device cuda --dtype bf16 --bench --prompt 128 --steps 64 || status=1
"$build/tools/tempo_device_check" --device cuda --dtype f32 --bench --prompt 128 --steps 64 || status=1

step "a TEMPO preset through the CLI on CUDA"
model=$(mktemp -d)/model
"$build/tools/tempo_make_model" --out "$model" --peaked > /dev/null
for dtype in f32 bf16; do
  "$build/src/cli/tempo-lab-cli" preset run 2 --model "$model" --device cuda --dtype "$dtype" \
    --notebook "$build/gpu-check.sqlite" || { echo "gpu-check: preset 2 on cuda $dtype FAILED"; status=1; }
done

echo
[ $status = 0 ] && echo "gpu-check: OK" || echo "gpu-check: FAILED (see above)"
echo "log: $log"
exit $status
