#!/usr/bin/env bash
# Installs what bnas needs from Debian when it is missing: OpenBLAS, zlib, ncursesw, tmux (for the
# dashboard's end-to-end tests), Graphviz (the cells in `bnas report`), Chromium (the test that renders a
# report headless) and the Fashion-MNIST data set (files under /usr/share/datasets).
set -euo pipefail
packages=(libopenblas-dev zlib1g-dev libncurses-dev tmux graphviz chromium dataset-fashion-mnist)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift (6.0 or later) is not on PATH" >&2; exit 1; }
