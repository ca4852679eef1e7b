#!/usr/bin/env bash
# Installs the Debian packages the builds and tests need when they are missing (fresh machine).
set -euo pipefail
need=()
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
python3 -c "import venv, ensurepip" 2>/dev/null || need+=(python3-venv)
# shellcheck source=lib/system-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/system-packages.sh"
ap_install_packages setup-system.sh "${need[@]}"
for tool in cargo go python3 node npm gcc pkg-config; do
    command -v "$tool" >/dev/null || { echo "missing required tool: $tool" >&2; exit 1; }
done
