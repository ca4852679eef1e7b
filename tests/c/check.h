/*
 * Minimal assertion helpers for the atomicperf C tests.
 *
 * CHECK*   record a failure (file:line, expression, status names, ap_last_error()) and continue,
 *          so one run reports every broken expectation; end main with `return check_done();`.
 * REQUIRE* do the same and exit(1) at once: use them where continuing would crash (a handle that
 *          was not created).
 *
 * Failures are counted per process (atomically, so threads may CHECK too); check_done() returns
 * the process exit status: 0 when nothing failed, 1 otherwise.
 */
#ifndef ATOMICPERF_TEST_CHECK_H
#define ATOMICPERF_TEST_CHECK_H

#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicperf.h"

static atomic_int check_failures_;
static atomic_int check_passes_;

static inline void check_fail_(const char *file, int line, const char *expr, int fatal) {
    fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, expr);
    fprintf(stderr, "    ap_last_error(): \"%s\"\n", ap_last_error());
    atomic_fetch_add(&check_failures_, 1);
    if (fatal) {
        fprintf(stderr, "    (fatal, stopping)\n");
        fflush(NULL);
        exit(1);
    }
}

static inline void check_bool_(int ok, const char *file, int line, const char *expr, int fatal) {
    if (ok) {
        atomic_fetch_add(&check_passes_, 1);
        return;
    }
    check_fail_(file, line, expr, fatal);
}

static inline void check_status_(ap_status got, ap_status want, const char *file, int line,
                                 const char *expr, int fatal) {
    if (got == want) {
        atomic_fetch_add(&check_passes_, 1);
        return;
    }
    fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, expr);
    fprintf(stderr, "    expected status %d (%s)\n", (int)want, ap_status_str(want));
    fprintf(stderr, "    got      status %d (%s)\n", (int)got, ap_status_str(got));
    fprintf(stderr, "    ap_last_error(): \"%s\"\n", ap_last_error());
    atomic_fetch_add(&check_failures_, 1);
    if (fatal) {
        fprintf(stderr, "    (fatal, stopping)\n");
        fflush(NULL);
        exit(1);
    }
}

static inline void check_u64_(uint64_t got, uint64_t want, const char *file, int line,
                              const char *expr) {
    if (got == want) {
        atomic_fetch_add(&check_passes_, 1);
        return;
    }
    fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, expr);
    fprintf(stderr, "    expected %" PRIu64 ", got %" PRIu64 "\n", want, got);
    fprintf(stderr, "    ap_last_error(): \"%s\"\n", ap_last_error());
    atomic_fetch_add(&check_failures_, 1);
}

static inline void check_f64_(double got, double want, double tol, const char *file, int line,
                              const char *expr) {
    int ok = (isnan(want) && isnan(got)) || got == want || fabs(got - want) <= tol;
    if (ok) {
        atomic_fetch_add(&check_passes_, 1);
        return;
    }
    fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, expr);
    fprintf(stderr, "    expected %.17g (+/- %g), got %.17g\n", want, tol, got);
    fprintf(stderr, "    ap_last_error(): \"%s\"\n", ap_last_error());
    atomic_fetch_add(&check_failures_, 1);
}

/* A boolean expectation. */
#define CHECK(expr) check_bool_(!!(expr), __FILE__, __LINE__, #expr, 0)
#define REQUIRE(expr) check_bool_(!!(expr), __FILE__, __LINE__, #expr, 1)

/* `call` must return exactly `status`. */
#define CHECK_STATUS(call, status) check_status_((call), (status), __FILE__, __LINE__, #call, 0)
#define REQUIRE_STATUS(call, status) check_status_((call), (status), __FILE__, __LINE__, #call, 1)
#define CHECK_OK(call) CHECK_STATUS(call, AP_OK)
#define REQUIRE_OK(call) REQUIRE_STATUS(call, AP_OK)

/* Value comparisons that print both sides. */
#define CHECK_U64(got, want) \
    check_u64_((uint64_t)(got), (uint64_t)(want), __FILE__, __LINE__, #got " == " #want)
#define CHECK_F64(got, want) check_f64_((got), (want), 0.0, __FILE__, __LINE__, #got " == " #want)
#define CHECK_NEAR(got, want, tol) \
    check_f64_((got), (want), (tol), __FILE__, __LINE__, #got " ~= " #want)

/* C strings, compared with strcmp. */
#define CHECK_STR(got, want)                                                               \
    do {                                                                                   \
        const char *g_ = (got), *w_ = (want);                                              \
        if (g_ != NULL && strcmp(g_, w_) == 0) {                                           \
            atomic_fetch_add(&check_passes_, 1);                                           \
        } else {                                                                           \
            fprintf(stderr, "%s:%d: FAILED: %s == \"%s\"\n    got \"%s\"\n", __FILE__,     \
                    __LINE__, #got, w_, g_ ? g_ : "(null)");                               \
            atomic_fetch_add(&check_failures_, 1);                                         \
        }                                                                                  \
    } while (0)

/* Prints a summary line and returns the exit status for main. */
static inline int check_done_(const char *file) {
    int failed = atomic_load(&check_failures_);
    int passed = atomic_load(&check_passes_);
    if (failed) {
        fprintf(stderr, "%s: %d check(s) FAILED, %d passed\n", file, failed, passed);
        fflush(NULL);
        return 1;
    }
    printf("%s: all %d checks passed\n", file, passed);
    /* Flush now: LeakSanitizer runs at exit and may end the process before stdio is flushed. */
    fflush(stdout);
    return 0;
}
#define check_done() check_done_(__FILE__)

/* A registry's exposition in `format`, with the buffer protocol of ap_registry_export: asked for
 * the length, then written, asked again while it grew in between (process metrics change from
 * one export to the next). A malloc'd NUL-terminated string the caller frees. */
static inline char *exported_text(const ap_registry *r, uint32_t format) {
    size_t len = 0;
    CHECK_STATUS(ap_registry_export(r, format, NULL, 0, &len), AP_ERR_BUFFER_TOO_SMALL);
    for (int tries = 0; tries < 20; tries++) {
        char *buf = malloc(len + 1);
        REQUIRE(buf != NULL);
        size_t written = 0;
        ap_status st = ap_registry_export(r, format, buf, len + 1, &written);
        if (st == AP_OK) {
            CHECK_U64(strlen(buf), written);
            return buf;
        }
        free(buf);
        CHECK_STATUS(st, AP_ERR_BUFFER_TOO_SMALL);
        REQUIRE(written > len); /* too small only because it grew */
        len = written;
    }
    REQUIRE(!"the export kept growing");
    return NULL;
}

#endif /* ATOMICPERF_TEST_CHECK_H */
