/* ap_timer_*: every function, every documented error, the fields of ap_timer_stats, quantiles
 * within 1%, reference counting and 8 threads recording into one timer. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "check.h"

#define SENTINEL UINT64_C(0xDEADBEEFCAFE)

/* An ap_timer_stats filled with a byte pattern, to prove a failed call did not write it. */
static void poison(ap_timer_stats *s) { memset(s, 0xA5, sizeof *s); }
static int is_poisoned(const ap_timer_stats *s) {
    ap_timer_stats p;
    poison(&p);
    return memcmp(s, &p, sizeof p) == 0;
}

static ap_timer_stats stats_of(const ap_timer *t) {
    ap_timer_stats s;
    poison(&s);
    CHECK_OK(ap_timer_snapshot(t, &s));
    return s;
}

static double rel_err(uint64_t got, uint64_t want) {
    return fabs((double)got - (double)want) / (double)want;
}

/* got within 1% of want (2 significant figures promise better; 1% is the contract here). */
#define CHECK_1PCT(got, want)                                                              \
    do {                                                                                   \
        uint64_t g1_ = (got), w1_ = (want);                                                \
        if (rel_err(g1_, w1_) <= 0.01) {                                                   \
            atomic_fetch_add(&check_passes_, 1);                                           \
        } else {                                                                           \
            fprintf(stderr, "%s:%d: FAILED: %s within 1%% of %s\n    got %" PRIu64        \
                    ", want %" PRIu64 "\n", __FILE__, __LINE__, #got, #want, g1_, w1_);    \
            atomic_fetch_add(&check_failures_, 1);                                         \
        }                                                                                  \
    } while (0)

static void check_zero_stats(const ap_timer *t) {
    ap_timer_stats s = stats_of(t);
    CHECK_U64(s.count, 0);
    CHECK_U64(s.errors, 0);
    CHECK_U64(s.total_ns, 0);
    CHECK_U64(s.min_ns, 0);
    CHECK_U64(s.max_ns, 0);
    CHECK_F64(s.mean_ns, 0.0);
    CHECK_U64(s.p50_ns, 0);
    CHECK_U64(s.p90_ns, 0);
    CHECK_U64(s.p99_ns, 0);
    CHECK_U64(s.p999_ns, 0);
    /* ...while a quantile asked for directly is AP_ERR_EMPTY, out untouched. */
    const double qs[] = {0.0, 0.5, 1.0};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        uint64_t v = SENTINEL;
        CHECK_STATUS(ap_timer_quantile(t, qs[i], &v), AP_ERR_EMPTY);
        CHECK_U64(v, SENTINEL);
        CHECK(strstr(ap_last_error(), "ap_timer_quantile") != NULL);
    }
}

static void test_values(void) {
    enum { N = 1000 };
    ap_timer *t = NULL;
    REQUIRE_OK(ap_timer_new(&t));
    REQUIRE(t != NULL);
    check_zero_stats(t);

    /* Durations 1 us .. 1 ms in steps of 1 us; every 10th fails. */
    uint64_t total = 0;
    for (uint64_t i = 1; i <= N; i++) {
        CHECK_OK(ap_timer_record(t, i * 1000, i % 10 != 0));
        total += i * 1000;
    }
    ap_timer_stats s = stats_of(t);
    CHECK_U64(s.count, N);
    CHECK_U64(s.errors, N / 10);
    CHECK_U64(s.total_ns, total);
    CHECK_U64(total, UINT64_C(500500000));
    CHECK_1PCT(s.min_ns, 1000);
    CHECK_1PCT(s.max_ns, 1000000);
    CHECK(s.min_ns <= s.p50_ns && s.p50_ns <= s.p90_ns && s.p90_ns <= s.p99_ns &&
          s.p99_ns <= s.p999_ns && s.p999_ns <= s.max_ns);
    CHECK_NEAR(s.mean_ns, 500500.0, 500500.0 * 0.01);
    /* The value of rank r is r us; rank = ceil(q * N). */
    CHECK_1PCT(s.p50_ns, 500000);
    CHECK_1PCT(s.p90_ns, 900000);
    CHECK_1PCT(s.p99_ns, 990000);
    CHECK_1PCT(s.p999_ns, 999000);

    /* ap_timer_quantile agrees with the stats (nothing recorded in between) and is within 1%. */
    uint64_t v = SENTINEL;
    CHECK_OK(ap_timer_quantile(t, 0.5, &v));
    CHECK_U64(v, s.p50_ns);
    CHECK_OK(ap_timer_quantile(t, 0.99, &v));
    CHECK_U64(v, s.p99_ns);
    for (int i = 1; i <= 100; i++) {
        double q = i / 100.0;
        v = SENTINEL;
        CHECK_OK(ap_timer_quantile(t, q, &v));
        CHECK_1PCT(v, (uint64_t)ceil(q * N) * 1000);
    }
    CHECK_OK(ap_timer_quantile(t, 0.0, &v));
    CHECK_1PCT(v, 1000);
    CHECK_OK(ap_timer_quantile(t, 1.0, &v));
    CHECK_1PCT(v, 1000000);

    /* Quantile out of range: the range is the error (even on an empty timer), out untouched. */
    const double bad[] = {-0.1, 1.1, NAN, INFINITY, -INFINITY, 1.0000000000000002, -1e-300};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = SENTINEL;
        CHECK_STATUS(ap_timer_quantile(t, bad[i], &v), AP_ERR_OUT_OF_RANGE);
        CHECK_U64(v, SENTINEL);
        CHECK(strstr(ap_last_error(), "ap_timer_quantile") != NULL);
    }

    /* ok == false on a duration of 0, and a zero duration counts. */
    CHECK_OK(ap_timer_record(t, 0, false));
    s = stats_of(t);
    CHECK_U64(s.count, N + 1);
    CHECK_U64(s.errors, N / 10 + 1);
    CHECK_U64(s.min_ns, 0);
    CHECK_U64(s.total_ns, total);

    /* Reset: everything back to zero, quantiles empty; out of range stays out of range. */
    CHECK_OK(ap_timer_reset(t));
    check_zero_stats(t);
    v = SENTINEL;
    CHECK_STATUS(ap_timer_quantile(t, 2.0, &v), AP_ERR_OUT_OF_RANGE);
    CHECK_U64(v, SENTINEL);
    CHECK_OK(ap_timer_reset(t)); /* twice is fine */

    /* One execution: every field is that one duration. */
    CHECK_OK(ap_timer_record(t, 12345, true));
    s = stats_of(t);
    CHECK_U64(s.count, 1);
    CHECK_U64(s.errors, 0);
    CHECK_U64(s.total_ns, 12345);
    CHECK_1PCT(s.min_ns, 12345);
    CHECK_1PCT(s.max_ns, 12345);
    CHECK_F64(s.mean_ns, 12345.0);
    CHECK_1PCT(s.p50_ns, 12345);
    CHECK_1PCT(s.p999_ns, 12345);
    ap_timer_free(t);
}

static void test_precision(void) {
    for (uint32_t p = 1; p <= 5; p++) {
        ap_timer *t = NULL;
        CHECK_OK(ap_timer_new_with_precision(p, 1000000000, &t));
        REQUIRE(t != NULL);
        CHECK_OK(ap_timer_record(t, 777777, true));
        ap_timer_stats s = stats_of(t);
        CHECK_U64(s.count, 1);
        CHECK_U64(s.total_ns, 777777);
        /* 10^-p relative precision: within 10% at p = 1, better above. */
        CHECK(rel_err(s.p50_ns, 777777) <= (p == 1 ? 0.1 : 0.01));
        ap_timer_free(t);
    }
    /* The smallest valid range. */
    ap_timer *t = NULL;
    CHECK_OK(ap_timer_new_with_precision(2, 2, &t));
    REQUIRE(t != NULL);
    CHECK_OK(ap_timer_record(t, 1, true));
    CHECK_U64(stats_of(t).count, 1);
    ap_timer_free(t);

    /* As ap_histogram_new_with_precision: precision outside 1..5 or highest < 2. */
    const struct {
        uint32_t figures;
        uint64_t highest;
    } bad[] = {{0, 1000}, {6, 1000}, {255, 1000}, {256, 1000}, {257, 1000},
               {UINT32_MAX, 1000}, {2, 1}, {2, 0}, {0, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ap_timer *sentinel = (ap_timer *)(uintptr_t)0x1234;
        t = sentinel;
        CHECK_STATUS(ap_timer_new_with_precision(bad[i].figures, bad[i].highest, &t),
                     AP_ERR_OUT_OF_RANGE);
        CHECK(t == sentinel);
        CHECK(strstr(ap_last_error(), "ap_timer_new_with_precision") != NULL);
    }
    /* A NULL out is reported before the range. */
    CHECK_STATUS(ap_timer_new_with_precision(2, 1000, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_timer_new_with_precision(0, 0, NULL), AP_ERR_NULL_POINTER);
}

static void test_null_arguments(void) {
    CHECK_STATUS(ap_timer_new(NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_timer_new") != NULL);

    CHECK_STATUS(ap_timer_record(NULL, 1, true), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_timer_record(NULL, 1, false), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_timer_record") != NULL);
    ap_timer_stats s;
    poison(&s);
    CHECK_STATUS(ap_timer_snapshot(NULL, &s), AP_ERR_NULL_HANDLE);
    CHECK(is_poisoned(&s));
    CHECK(strstr(ap_last_error(), "ap_timer_snapshot") != NULL);
    CHECK_STATUS(ap_timer_snapshot(NULL, NULL), AP_ERR_NULL_HANDLE);
    uint64_t v = SENTINEL;
    CHECK_STATUS(ap_timer_quantile(NULL, 0.5, &v), AP_ERR_NULL_HANDLE);
    CHECK_U64(v, SENTINEL);
    CHECK_STATUS(ap_timer_quantile(NULL, 0.5, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_timer_reset(NULL), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_timer_reset") != NULL);

    ap_timer *t = NULL;
    REQUIRE_OK(ap_timer_new(&t));
    CHECK_STATUS(ap_timer_snapshot(t, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_timer_snapshot") != NULL);
    /* NULL out: reported before EMPTY (nothing recorded) and before a bad quantile. */
    CHECK_STATUS(ap_timer_quantile(t, 0.5, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_timer_quantile(t, 7.0, NULL), AP_ERR_NULL_POINTER);
    CHECK_OK(ap_timer_record(t, 5, true));
    CHECK_STATUS(ap_timer_quantile(t, 0.5, NULL), AP_ERR_NULL_POINTER);
    CHECK_U64(stats_of(t).count, 1);
    ap_timer_free(t);
}

static void test_refcount(void) {
    ap_timer_free(NULL);
    CHECK(ap_timer_clone(NULL) == NULL);

    ap_timer *a = NULL;
    REQUIRE_OK(ap_timer_new(&a));
    ap_timer *b = ap_timer_clone(a);
    REQUIRE(b != NULL);
    CHECK_OK(ap_timer_record(a, 100, true));
    CHECK_OK(ap_timer_record(b, 200, false));
    CHECK_U64(stats_of(a).count, 2);
    ap_timer_free(a);
    CHECK_OK(ap_timer_record(b, 300, true));
    ap_timer_stats s = stats_of(b);
    CHECK_U64(s.count, 3);
    CHECK_U64(s.errors, 1);
    CHECK_U64(s.total_ns, 600);
    ap_timer_free(b);
}

/* ---- 8 threads, one timer ---- */

enum { THREADS = 8, ITERS = 40000 };

struct worker {
    ap_timer *t;
    pthread_barrier_t *start;
    int id;
    uint64_t calls, failed, total, lo, hi;
};

static void *worker_main(void *arg) {
    struct worker *w = arg;
    ap_timer *own = ap_timer_clone(w->t);
    pthread_barrier_wait(w->start);
    w->lo = UINT64_MAX;
    for (int i = 0; i < ITERS; i++) {
        uint64_t d = 100 + (uint64_t)((i * 7919 + w->id * 104729) % 1000000);
        bool ok = (i + w->id) % 7 != 0;
        CHECK_OK(ap_timer_record(own, d, ok));
        w->calls++;
        w->failed += !ok;
        w->total += d;
        if (d < w->lo) w->lo = d;
        if (d > w->hi) w->hi = d;
        if (i % 5000 == 0) { /* stats while others record: consistent with itself */
            ap_timer_stats s = stats_of(own);
            CHECK(s.errors <= s.count);
            CHECK(s.min_ns <= s.max_ns);
        }
    }
    ap_timer_free(own);
    return NULL;
}

static void test_threads(void) {
    ap_timer *t = NULL;
    REQUIRE_OK(ap_timer_new(&t));
    pthread_barrier_t start;
    REQUIRE(pthread_barrier_init(&start, NULL, THREADS) == 0);
    struct worker w[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){t, &start, i, 0, 0, 0, 0, 0};
        REQUIRE(pthread_create(&tid[i], NULL, worker_main, &w[i]) == 0);
    }
    uint64_t calls = 0, failed = 0, total = 0, lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < THREADS; i++) {
        REQUIRE(pthread_join(tid[i], NULL) == 0);
        calls += w[i].calls;
        failed += w[i].failed;
        total += w[i].total;
        if (w[i].lo < lo) lo = w[i].lo;
        if (w[i].hi > hi) hi = w[i].hi;
    }
    pthread_barrier_destroy(&start);
    ap_timer_stats s = stats_of(t);
    CHECK_U64(calls, THREADS * ITERS);
    CHECK_U64(s.count, calls);
    CHECK_U64(s.errors, failed);
    CHECK_U64(s.total_ns, total);
    CHECK_1PCT(s.min_ns, lo);
    CHECK_1PCT(s.max_ns, hi);
    CHECK_NEAR(s.mean_ns, (double)total / (double)calls, (double)total / (double)calls * 0.01);
    ap_timer_free(t);
}

int main(void) {
    test_values();
    test_precision();
    test_null_arguments();
    test_refcount();
    test_threads();
    return check_done();
}
