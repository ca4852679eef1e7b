# Sourced by scripts/test-python.sh and scripts/bench-python.sh: builds the release wheel
# (scripts/dist.sh python: the artifact users install) and installs it into .venv at the
# repository root, with the given extra packages. So .venv always holds the optimized build, in
# whichever order the README's commands run, and the tests run what users get.
#   ap_python_venv PACKAGE...
ap_python_venv() {
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    "$root/scripts/dist.sh" python
    [ -x "$root/.venv/bin/python" ] || python3 -m venv "$root/.venv"
    "$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
    local version wheel
    version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml")"
    wheel="$(ls "${DIST_DIR:-$root/dist}"/python/atomicperf-"$version"-*.whl | head -1)"
    "$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"
    # From site-packages, never from the source tree.
    (cd / && "$root/.venv/bin/python" -c "
import atomicperf, sys
assert atomicperf.__file__.startswith(sys.prefix), atomicperf.__file__
print('atomicperf', atomicperf.__version__, 'from', atomicperf.__file__)")
}
