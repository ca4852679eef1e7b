/* ap_throughput_window_*: every function, every documented error, exact event and violation
 * counts and ratio, expiry after a sleep longer than the window, reference counting and 8 threads.
 * Rates are checked for sign only: no assertion depends on how fast the machine is. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "check.h"

#define MINUTE_NS UINT64_C(60000000000)

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void poison(ap_window_stats *s) { memset(s, 0xA5, sizeof *s); }
static int is_poisoned(const ap_window_stats *s) {
    ap_window_stats p;
    poison(&p);
    return memcmp(s, &p, sizeof p) == 0;
}

static ap_window_stats stats_of(const ap_throughput_window *w) {
    ap_window_stats s;
    poison(&s);
    CHECK_OK(ap_throughput_window_stats(w, &s));
    return s;
}

static void test_counts(void) {
    /* A minute in 60 buckets: nothing recorded here can leave the window during the test. */
    ap_throughput_window *w = NULL;
    REQUIRE_OK(ap_throughput_window_new(MINUTE_NS, 60, 1000, &w));
    REQUIRE(w != NULL);

    ap_window_stats s = stats_of(w);
    CHECK_U64(s.events, 0);
    CHECK_U64(s.violations, 0);
    CHECK_F64(s.events_per_second, 0.0);
    CHECK_F64(s.violation_ratio, 0.0);
    CHECK(s.covered_ns <= MINUTE_NS);

    for (int i = 0; i < 100; i++) CHECK_OK(ap_throughput_window_record(w, 500));
    for (int i = 0; i < 10; i++) CHECK_OK(ap_throughput_window_record(w, 1000)); /* = SLA: ok */
    for (int i = 0; i < 30; i++) CHECK_OK(ap_throughput_window_record(w, 1001));
    CHECK_OK(ap_throughput_window_record(w, 0));
    CHECK_OK(ap_throughput_window_record(w, UINT64_MAX)); /* a violation */
    sleep_ms(2); /* so that the window has an age to divide by */
    s = stats_of(w);
    CHECK_U64(s.events, 142);
    CHECK_U64(s.violations, 31);
    CHECK_NEAR(s.violation_ratio, 31.0 / 142.0, 1e-12);
    CHECK(s.events_per_second > 0.0);
    CHECK(isfinite(s.events_per_second));
    CHECK(s.covered_ns > 0 && s.covered_ns <= MINUTE_NS);
    /* events / covered time, as documented. */
    CHECK_NEAR(s.events_per_second, 142.0 * 1e9 / (double)s.covered_ns,
               142.0 * 1e9 / (double)s.covered_ns * 1e-9);
    ap_throughput_window_free(w);

    /* SLA 0: only a latency of 0 is within it. */
    REQUIRE_OK(ap_throughput_window_new(MINUTE_NS, 4, 0, &w));
    CHECK_OK(ap_throughput_window_record(w, 0));
    CHECK_OK(ap_throughput_window_record(w, 1));
    s = stats_of(w);
    CHECK_U64(s.events, 2);
    CHECK_U64(s.violations, 1);
    CHECK_F64(s.violation_ratio, 0.5);
    ap_throughput_window_free(w);

    /* SLA UINT64_MAX: nothing is a violation. */
    REQUIRE_OK(ap_throughput_window_new(MINUTE_NS, 1, UINT64_MAX, &w));
    CHECK_OK(ap_throughput_window_record(w, UINT64_MAX));
    s = stats_of(w);
    CHECK_U64(s.events, 1);
    CHECK_U64(s.violations, 0);
    CHECK_F64(s.violation_ratio, 0.0);
    ap_throughput_window_free(w);
}

static void test_expiry(void) {
    /* 1 ms in 10 buckets; after sleeping 50 ms (at least), every event is outside the window. */
    ap_throughput_window *w = NULL;
    REQUIRE_OK(ap_throughput_window_new(1000000, 10, 10, &w));
    for (int i = 0; i < 20; i++) CHECK_OK(ap_throughput_window_record(w, 100));
    sleep_ms(50);
    ap_window_stats s = stats_of(w);
    CHECK_U64(s.events, 0);
    CHECK_U64(s.violations, 0);
    CHECK_F64(s.events_per_second, 0.0);
    CHECK_F64(s.violation_ratio, 0.0);
    CHECK(s.covered_ns > 0 && s.covered_ns <= 1000000); /* a full window: its length at most */
    /* New events count again. */
    CHECK_OK(ap_throughput_window_record(w, 5));
    s = stats_of(w);
    CHECK(s.events <= 1); /* 1, unless its 100 us bucket already ended: timing is not asserted */
    ap_throughput_window_free(w);
}

static void test_configuration(void) {
    /* The smallest valid: 1 ns buckets. */
    ap_throughput_window *w = NULL;
    CHECK_OK(ap_throughput_window_new(10, 10, 0, &w));
    REQUIRE(w != NULL);
    CHECK_OK(ap_throughput_window_record(w, 1));
    ap_throughput_window_free(w);
    w = NULL;
    CHECK_OK(ap_throughput_window_new(1, 1, 0, &w));
    REQUIRE(w != NULL);
    ap_throughput_window_free(w);
    w = NULL;
    CHECK_OK(ap_throughput_window_new(UINT64_MAX, 1, UINT64_MAX, &w));
    REQUIRE(w != NULL);
    CHECK_OK(ap_throughput_window_record(w, 1));
    CHECK_U64(stats_of(w).events, 1);
    ap_throughput_window_free(w);

    /* Zero buckets, zero window, buckets shorter than 1 ns: AP_ERR_OUT_OF_RANGE, out untouched. */
    const struct {
        uint64_t window;
        size_t buckets;
    } bad[] = {{MINUTE_NS, 0}, {0, 10}, {0, 0}, {10, 11}, {1, 2}, {1000, 1001}, {0, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ap_throughput_window *sentinel = (ap_throughput_window *)(uintptr_t)0x1234;
        w = sentinel;
        CHECK_STATUS(ap_throughput_window_new(bad[i].window, bad[i].buckets, 100, &w),
                     AP_ERR_OUT_OF_RANGE);
        CHECK(w == sentinel);
        CHECK(strstr(ap_last_error(), "ap_throughput_window_new") != NULL);
    }
    /* NULL out comes first. */
    CHECK_STATUS(ap_throughput_window_new(MINUTE_NS, 60, 100, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_throughput_window_new(0, 0, 100, NULL), AP_ERR_NULL_POINTER);

    /* Absurd bucket counts (1 ns buckets, so "valid" by the documented rules) must be refused
     * with a status, not be a caught panic (AP_ERR_INTERNAL: "a bug inside the library"). */
    ap_throughput_window *sentinel = (ap_throughput_window *)(uintptr_t)0x1234;
    w = sentinel;
    CHECK_STATUS(ap_throughput_window_new(UINT64_MAX, SIZE_MAX, 100, &w), AP_ERR_OUT_OF_RANGE);
    CHECK(w == sentinel);
}

static void test_null_and_refcount(void) {
    CHECK_STATUS(ap_throughput_window_record(NULL, 1), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_throughput_window_record") != NULL);
    ap_window_stats s;
    poison(&s);
    CHECK_STATUS(ap_throughput_window_stats(NULL, &s), AP_ERR_NULL_HANDLE);
    CHECK(is_poisoned(&s));
    CHECK(strstr(ap_last_error(), "ap_throughput_window_stats") != NULL);
    CHECK_STATUS(ap_throughput_window_stats(NULL, NULL), AP_ERR_NULL_HANDLE);

    ap_throughput_window *w = NULL;
    REQUIRE_OK(ap_throughput_window_new(MINUTE_NS, 6, 10, &w));
    CHECK_STATUS(ap_throughput_window_stats(w, NULL), AP_ERR_NULL_POINTER);

    ap_throughput_window_free(NULL);
    CHECK(ap_throughput_window_clone(NULL) == NULL);
    ap_throughput_window *c = ap_throughput_window_clone(w);
    REQUIRE(c != NULL);
    CHECK(c == w);
    CHECK_OK(ap_throughput_window_record(w, 100));
    ap_throughput_window_free(w);
    CHECK_OK(ap_throughput_window_record(c, 5));
    s = stats_of(c);
    CHECK_U64(s.events, 2);
    CHECK_U64(s.violations, 1);
    ap_throughput_window_free(c);
}

/* ---- 8 threads, one window ---- */

enum { THREADS = 8, ITERS = 50000 };

struct worker {
    ap_throughput_window *w;
    pthread_barrier_t *start;
    int id;
    uint64_t events, violations;
};

static void *worker_main(void *arg) {
    struct worker *wk = arg;
    ap_throughput_window *own = ap_throughput_window_clone(wk->w);
    pthread_barrier_wait(wk->start);
    for (int i = 0; i < ITERS; i++) {
        uint64_t latency = (uint64_t)((i * 31 + wk->id) % 2000); /* SLA 1000 */
        CHECK_OK(ap_throughput_window_record(own, latency));
        wk->events++;
        wk->violations += latency > 1000;
        if (i % 10000 == 0) {
            ap_window_stats s = stats_of(own);
            CHECK(s.violations <= s.events);
        }
    }
    ap_throughput_window_free(own);
    return NULL;
}

static void test_threads(void) {
    ap_throughput_window *w = NULL;
    REQUIRE_OK(ap_throughput_window_new(MINUTE_NS, 60, 1000, &w));
    pthread_barrier_t start;
    REQUIRE(pthread_barrier_init(&start, NULL, THREADS) == 0);
    struct worker wk[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        wk[i] = (struct worker){w, &start, i, 0, 0};
        REQUIRE(pthread_create(&tid[i], NULL, worker_main, &wk[i]) == 0);
    }
    uint64_t events = 0, violations = 0;
    for (int i = 0; i < THREADS; i++) {
        REQUIRE(pthread_join(tid[i], NULL) == 0);
        events += wk[i].events;
        violations += wk[i].violations;
    }
    pthread_barrier_destroy(&start);
    ap_window_stats s = stats_of(w);
    CHECK_U64(s.events, events);
    CHECK_U64(s.violations, violations);
    CHECK_NEAR(s.violation_ratio, (double)violations / (double)events, 1e-12);
    CHECK(s.events_per_second > 0.0);
    ap_throughput_window_free(w);
}

int main(void) {
    test_counts();
    test_expiry();
    test_configuration();
    test_null_and_refcount();
    test_threads();
    return check_done();
}
