#!/usr/bin/env bash
# Python, Go and Node processes counting into one shared-memory segment: 3 Python, 3 Go and 2 Node
# processes of 4 threads x 100,000 increments each, read as exactly 3,200,000 by a ninth process in
# each language (tests/cross-language/run.py).
# Uses what the language steps leave in place: .venv with the wheel (scripts/test-python.sh), the
# Node addon in bindings-node (scripts/test-node.sh) and the library in bindings-go/lib
# (scripts/test-go.sh), from which it builds bindings-go/cmd/shared-count.
#
#   scripts/test-cross-language.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# shellcheck source=lib/dist-common.sh
source scripts/lib/dist-common.sh
# shellcheck source=gomodule/lib.sh
source scripts/gomodule/lib.sh
[ -x .venv/bin/python ] || { echo "test-cross-language.sh: no .venv; run scripts/test-python.sh first" >&2; exit 1; }
node -e "require('./bindings-node')" || { echo "test-cross-language.sh: no Node addon; run scripts/test-node.sh first" >&2; exit 1; }

unset PKG_CONFIG_PATH
export CGO_ENABLED=1 CGO_CFLAGS="$(apgo_cgo_cflags)"
mkdir -p target
(cd bindings-go && go build -o "$root/target/shared-count" ./cmd/shared-count)
.venv/bin/python tests/cross-language/run.py .venv/bin/python target/shared-count bindings-node
