#!/usr/bin/env bash
# Installs the C tarball of scripts/dist-c.sh the way a user does and builds programs on it (run
# through scripts/test-dist.sh c, after scripts/dist.sh c):
#
# - extracts dist/c/atomicperf-<version>-<triple>.tar.gz in a temporary directory outside the
#   checkout and runs `make install PREFIX=<tmp>/prefix` there;
# - with no Rust tool reachable and PKG_CONFIG_PATH set to <prefix>/lib/pkgconfig only, compiles
#   a C program (threads with an exact counter total, a gauge, a histogram, a registry export)
#   with `pkg-config --cflags --libs atomicperf` (shared) and with `-static` and
#   `pkg-config --static --cflags --libs atomicperf` (fully static), runs both, and compiles the
#   header as C++;
# - checks with readelf that the installed library carries its SONAME and the shared program
#   records it (NEEDED), and with ldd that the program resolves libatomicperf into the prefix.
#
# How the shared program finds the library: the installed .pc has no rpath (a prefix such as
# /usr/local needs none once ldconfig has run), so the run sets LD_LIBRARY_PATH to <prefix>/lib
# and nothing else. The program itself has no RPATH/RUNPATH, which the test checks, so nothing
# can lead it to the build tree.
#
# Only the platform of this machine is tested (its programs must run here).
set -euo pipefail
# shellcheck source=lib/dist-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dist-common.sh"

host="$(rustc -vV | sed -n 's/^host: //p')"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/atomicperf-test-dist-c.XXXXXX")"
case "$tmp" in "$AP_ROOT"/*) echo "test-dist-c: $tmp is inside the checkout" >&2; exit 1 ;; esac
trap 'rm -rf "$tmp"' EXIT

tested=0
for platform in "${AP_PLATFORMS[@]}"; do
    triple="$(ap_platform_field "$platform" 1)"
    if [ "$triple" != "$host" ]; then
        echo "test-dist-c: skipping $triple: its programs cannot run on this $host machine"
        continue
    fi
    name="atomicperf-$AP_VERSION-$triple"
    tarball="$AP_DIST/c/$name.tar.gz"
    [ -f "$tarball" ] || { echo "test-dist-c: $tarball is missing: run scripts/dist.sh c first" >&2; exit 1; }

    work="$tmp/$triple"
    mkdir -p "$work/src" "$work/app"
    tar -C "$work/src" -xzf "$tarball"
    cp "$AP_ROOT/include/atomicperf.h" "$work/expected.h"
    cat >"$work/app/app.c" <<'EOF'
#define _POSIX_C_SOURCE 200809L
#include <atomicperf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { THREADS = 8, ITERS = 100000 };

#define OK(call)                                                                             \
    do {                                                                                     \
        ap_status s_ = (call);                                                               \
        if (s_ != AP_OK) {                                                                   \
            fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call,               \
                    ap_status_str(s_), ap_last_error());                                     \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

static ap_counter *requests;
static ap_gauge *in_flight;
static ap_histogram *latency;

static void *worker(void *arg) {
    uint64_t id = (uint64_t)(size_t)arg;
    for (uint64_t i = 0; i < ITERS; i++) {
        OK(ap_gauge_inc(in_flight));
        OK(ap_counter_inc(requests));
        OK(ap_histogram_record(latency, 1000 + (id * ITERS + i) % 1000000));
        OK(ap_gauge_dec(in_flight));
    }
    return NULL;
}

int main(void) {
    ap_registry *reg;
    OK(ap_registry_new(&reg));
    OK(ap_registry_counter(reg, "requests_total", "Requests.", NULL, NULL, 0, &requests));
    OK(ap_gauge_new(0.0, &in_flight));
    OK(ap_histogram_new(&latency));

    pthread_t threads[THREADS];
    for (size_t t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, worker, (void *)t);
    for (size_t t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);

    uint64_t total = 0, count = 0, p50 = 0;
    double gauge = -1;
    OK(ap_counter_get(requests, &total));
    OK(ap_gauge_get(in_flight, &gauge));
    OK(ap_histogram_count(latency, &count));
    OK(ap_histogram_quantile(latency, 0.5, &p50));
    if (total != (uint64_t)THREADS * ITERS || count != total || gauge != 0.0) {
        fprintf(stderr, "wrong totals: counter %llu histogram %llu gauge %g\n",
                (unsigned long long)total, (unsigned long long)count, gauge);
        return 1;
    }

    char buf[4096];
    size_t len = 0;
    OK(ap_registry_export(reg, AP_FORMAT_PROMETHEUS, buf, sizeof buf, &len));
    char want[64];
    snprintf(want, sizeof want, "requests_total %llu\n", (unsigned long long)total);
    if (!strstr(buf, want)) {
        fprintf(stderr, "export lacks '%s':\n%s", want, buf);
        return 1;
    }
    /* A bad argument is a status, never a crash. */
    if (ap_histogram_quantile(latency, 1.5, &p50) == AP_OK) return 1;

    printf("atomicperf %s: %llu requests from %d threads, p50 %llu ns, export ok\n", ap_version(),
           (unsigned long long)total, THREADS, (unsigned long long)p50);
    ap_counter_free(requests);
    ap_gauge_free(in_flight);
    ap_histogram_free(latency);
    ap_registry_free(reg);
    return 0;
}
EOF
    cat >"$work/app/header.cpp" <<'EOF'
#include <atomicperf.h>
#include <cstdio>
int main() { std::printf("%s\n", ap_version()); return 0; }
EOF

    # Everything from here on runs as on a user's machine: no Rust, no checkout, only the prefix.
    cat >"$work/user.sh" <<'EOF'
set -euo pipefail
ap_assert_no_rust
work=$1 name=$2 version=$3 checkout=$4
prefix="$work/prefix"
cd "$work/app"

make -C "$work/src/$name" install PREFIX="$prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
lib="$prefix/lib"
real="libatomicperf.so.$version"

echo "-- installed files"
(cd "$prefix" && find . \( -type f -o -type l \) | sort)
cmp "$prefix/include/atomicperf.h" "$work/expected.h"
[ -f "$lib/$real" ] && [ -f "$lib/libatomicperf.a" ]
soname="$(readelf -d "$lib/$real" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
echo "SONAME of the installed library: $soname"
case "$soname" in libatomicperf.so.*) ;; *) echo "FAIL: no SONAME" >&2; exit 1 ;; esac
[ "$(readlink "$lib/$soname")" = "$real" ] && [ "$(readlink "$lib/libatomicperf.so")" = "$soname" ]
cat "$PKG_CONFIG_PATH/atomicperf.pc"
grep -qx "prefix=$prefix" "$PKG_CONFIG_PATH/atomicperf.pc"
[ "$(pkg-config --modversion atomicperf)" = "$version" ]
if grep -rqF --include="*.pc" --include="*.h" "$checkout" "$prefix"; then echo "FAIL: the .pc or header names the checkout" >&2; exit 1; fi

echo "-- shared: cc app.c \$(pkg-config --cflags --libs atomicperf)"
cc -std=c11 -Wall -Wextra -Werror -O2 -pthread app.c $(pkg-config --cflags --libs atomicperf) -o app-shared
readelf -d app-shared | grep -E 'NEEDED|RPATH|RUNPATH'
readelf -d app-shared | grep -q "NEEDED.*\[$soname\]" || { echo "FAIL: app-shared does not need $soname" >&2; exit 1; }
if readelf -d app-shared | grep -qE 'RPATH|RUNPATH'; then echo "FAIL: app-shared has an rpath" >&2; exit 1; fi
resolved="$(LD_LIBRARY_PATH="$lib" ldd ./app-shared | awk '/libatomicperf/ {print $3}')"
echo "ldd: $soname => $resolved"
[ "$resolved" = "$lib/$soname" ] || { echo "FAIL: libatomicperf resolves to '$resolved', not $lib" >&2; exit 1; }
LD_LIBRARY_PATH="$lib" ./app-shared

echo "-- static: cc -static app.c \$(pkg-config --static --cflags --libs atomicperf)"
pkg-config --static --libs atomicperf
cc -std=c11 -Wall -Wextra -Werror -O2 -pthread -static app.c \
    $(pkg-config --static --cflags --libs atomicperf) -o app-static
if readelf -d app-static 2>/dev/null | grep -q NEEDED; then
    echo "FAIL: app-static has dynamic dependencies" >&2; exit 1
fi
file app-static 2>/dev/null || true
./app-static

echo "-- C++: c++ header.cpp \$(pkg-config --cflags --libs atomicperf)"
c++ -Wall -Wextra -Werror header.cpp $(pkg-config --cflags --libs atomicperf) -o header-cpp
LD_LIBRARY_PATH="$lib" ./header-cpp

make -C "$work/src/$name" uninstall PREFIX="$prefix" >/dev/null
left="$(find "$prefix" -type f -o -type l)"
[ -z "$left" ] || { echo "FAIL: make uninstall left: $left" >&2; exit 1; }
echo "make uninstall removed every file"
EOF
    (cd "$tmp" && ap_scrubbed_env bash -c "$(declare -f ap_assert_no_rust); source \"\$0\"" \
        "$work/user.sh" "$work" "$name" "$AP_VERSION" "$AP_ROOT")
    tested=$((tested + 1))
done
((tested)) || { echo "test-dist-c: no platform of AP_PLATFORMS can run here" >&2; exit 1; }
echo "test-dist-c: ok"
