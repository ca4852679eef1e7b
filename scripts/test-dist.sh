#!/usr/bin/env bash
# Installs the artifacts of scripts/dist.sh the way each ecosystem's users do, in fresh
# directories outside the checkout, with no Rust toolchain reachable, and runs programs on them:
#
#   python  pip install from a package index on loopback (pypiserver), --only-binary
#   node    npm install from a registry on loopback (verdaccio), CommonJS, ESM, tsc --strict
#   go      go get from a file-based module proxy, default and fully static builds
#   c       make install into a prefix, pkg-config (shared and --static) builds
#   rust    cargo publish --dry-run of the publishable crates
#
#   scripts/test-dist.sh            # all (run scripts/dist.sh first)
#   scripts/test-dist.sh go c       # some
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/dist-common.sh
source "$here/lib/dist-common.sh"

all=(python node go c rust)
parts=("$@")
((${#parts[@]})) || parts=("${all[@]}")
failed=()
for part in "${parts[@]}"; do
    case " ${all[*]} " in *" $part "*) ;; *) echo "test-dist.sh: unknown part '$part' (one of: ${all[*]})" >&2; exit 2 ;; esac
    start=$SECONDS
    printf '\n---- test-dist: %s ----\n' "$part"
    if "$here/test-dist-$part.sh"; then
        printf -- '---- test-dist: %s ok (%ss)\n' "$part" $((SECONDS - start))
    else
        printf -- '---- test-dist: %s FAILED (%ss)\n' "$part" $((SECONDS - start))
        failed+=("$part")
    fi
done
if ((${#failed[@]})); then
    echo "test-dist: FAILED: ${failed[*]}" >&2
    exit 1
fi
