#!/usr/bin/env bash
# Run HERE (a Debian 12 machine with its package archive): downloads, as .deb files into
# .debs/ (ignored by git), every library the build needs beyond LibTorch, for a GPU machine
# that has a CUDA LibTorch (inside its Python torch) but no package registry.
# Then, through the device tool: carry .debs and run `bash scripts/device/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."
packages=(
  libzmq3-dev libzmq5 cppzmq-dev libsodium23 libpgm-5.3-0 libnorm1 libbsd0 libmd0
  capnproto libcapnp-dev libcapnp-0.9.2
  libyaml-cpp-dev libyaml-cpp0.7 libcli11-dev nlohmann-json3-dev
  libmujoco-dev libmujoco2.2.2 libqhull-dev libqhull8.0 libqhull-r8.0 libqhullcpp8.0
  libccd2 liblodepng0 libtinyxml2-9
  libgtest-dev googletest
)
mkdir -p .debs
cd .debs
apt-get download "${packages[@]}"
ls -1 | wc -l | xargs echo "prepare: .deb files in .debs/:"
