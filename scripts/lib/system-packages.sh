# Sourced by the scripts that need Debian packages (setup-system.sh, test-c.sh, test-go.sh,
# test-prometheus.sh, tests/exposition/run.sh): one way to install what is missing on a fresh
# Debian/Ubuntu machine.
#
#   ap_install_packages CALLER PACKAGE...   apt-get install of the packages (as root, or with
#                                           sudo), or a clear message naming them when that is
#                                           not possible

ap_install_packages() {
    local caller=$1
    shift
    (($#)) || return 0
    echo "$caller: installing $*" >&2
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$caller: apt-get not available; please install: $*" >&2
        return 1
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "$caller: need root or sudo to install: $*" >&2
            return 1
        }
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
