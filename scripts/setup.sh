#!/usr/bin/env bash
# Installs the Debian packages rlfleet builds and runs with, only those that are missing.
# Run as root (or with sudo) on Debian 12. Safe to run again: it does nothing when all is there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libgtest-dev
  libzmq3-dev cppzmq-dev
  capnproto libcapnp-dev
  libtorch-dev
  # LibTorch falls back to the reference BLAS (about 15x slower) without the OpenBLAS build.
  libopenblas0-pthread
  libmujoco-dev
  # MuJoCo's CMake config needs qhull's.
  libqhull-dev
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
  # TensorBoard event files (learner/schema/event.proto).
  libprotobuf-dev protobuf-compiler
  # The multi-host test joins network namespaces (scripts/netns.sh).
  iproute2
  # The Slurm test runs a Slurm cluster on this machine (scripts/slurm_local.sh).
  slurmctld slurmd slurm-client munge
  # rlfleet report's learning curves (scripts/plot_curves.py) and the summary table of
  # docs/baselines.md (scripts/update_baselines_doc.py reads the configs).
  python3-matplotlib python3-yaml
  # Python environments (env.python): the workers' only dependencies (python/rlfleet_env_worker.py).
  python3-numpy python3-zmq
  # Exported policies (rlfleet export) are checked under Debian's PyTorch, the version of the
  # LibTorch above.
  python3-torch
  # Videos: MuJoCo's offscreen renderer on Mesa (EGL surfaceless, or OSMesa), classic control
  # drawn with cairo, H.264 MP4 written by ffmpeg (ffprobe checks them in the tests).
  libegl-dev libegl-mesa0 libgl-dev libosmesa6-dev libcairo2-dev ffmpeg
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
