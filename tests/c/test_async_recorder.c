/* ap_async_recorder_*: every constructor and function, every documented error (bad config,
 * wrong event kind, unknown gauge op, closed, NULLs), the stats identity
 * enqueued == applied + dropped after a flush, block mode dropping nothing, record_timeout on a
 * full queue (OK or AP_ERR_TIMEOUT, never counted as dropped), the last free draining into the
 * metric, and 8 threads in block and drop mode. Nothing asserts timing.
 * (A flush that times out needs a worker stuck inside the metric, which C cannot cause.) */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "check.h"

#define LONG_NS UINT64_C(60000000000) /* a flush that must finish: 60 s */

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static ap_async_stats stats_of(const ap_async_recorder *r) {
    ap_async_stats s;
    memset(&s, 0xA5, sizeof s);
    CHECK_OK(ap_async_recorder_stats(r, &s));
    return s;
}

static void flush_all(const ap_async_recorder *r) {
    bool done = false;
    CHECK_OK(ap_async_recorder_flush(r, LONG_NS, &done));
    CHECK(done);
}

static uint64_t counter_of(const ap_counter *c) {
    uint64_t v = 0;
    CHECK_OK(ap_counter_get(c, &v));
    return v;
}

static ap_async_config cfg(size_t capacity, size_t workers, size_t batch, uint32_t overflow) {
    ap_async_config c = {capacity, workers, batch, overflow};
    return c;
}

/* ---- one recorder of each kind, defaults ---- */

static void test_counter_recorder(void) {
    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    ap_async_recorder *r = NULL;
    REQUIRE_OK(ap_async_recorder_new_counter(c, NULL, &r)); /* NULL config: the defaults */
    REQUIRE(r != NULL);

    ap_async_stats s = stats_of(r);
    CHECK_U64(s.enqueued, 0);
    CHECK_U64(s.applied, 0);
    CHECK_U64(s.dropped, 0);
    CHECK(!s.closed);
    /* Nothing queued: a flush is done at once, even with no time at all. */
    bool done = false;
    CHECK_OK(ap_async_recorder_flush(r, 0, &done));
    CHECK(done);

    for (uint64_t v = 1; v <= 100; v++) {
        bool queued = false;
        CHECK_OK(ap_async_recorder_record(r, v, &queued));
        CHECK(queued); /* 100 events never fill the default 65536 */
    }
    CHECK_OK(ap_async_recorder_record(r, 1000, NULL)); /* queued may be NULL */
    CHECK_OK(ap_async_recorder_record_timeout(r, 10000, LONG_NS));
    flush_all(r);
    CHECK_U64(counter_of(c), 5050 + 1000 + 10000);
    s = stats_of(r);
    CHECK_U64(s.enqueued, 102);
    CHECK_U64(s.applied, 102);
    CHECK_U64(s.dropped, 0);
    CHECK(!s.closed);
    ap_async_recorder_free(r);
    ap_counter_free(c);
}

static void test_histogram_recorder(void) {
    ap_histogram *h = NULL;
    REQUIRE_OK(ap_histogram_new(&h));
    ap_async_config c = cfg(1024, 2, 16, AP_OVERFLOW_BLOCK);
    ap_async_recorder *r = NULL;
    REQUIRE_OK(ap_async_recorder_new_histogram(h, &c, &r));
    for (uint64_t v = 1; v <= 1000; v++) CHECK_OK(ap_async_recorder_record(r, v, NULL));
    flush_all(r);
    uint64_t n = 0;
    CHECK_OK(ap_histogram_count(h, &n));
    CHECK_U64(n, 1000);
    CHECK_OK(ap_histogram_sum(h, &n));
    CHECK_U64(n, 500500);
    ap_async_stats s = stats_of(r);
    CHECK_U64(s.enqueued, 1000);
    CHECK_U64(s.applied, 1000);
    CHECK_U64(s.dropped, 0);
    ap_async_recorder_free(r);
    ap_histogram_free(h);
}

static void test_minmax_recorder(void) {
    ap_minmax *m = NULL;
    REQUIRE_OK(ap_minmax_new(&m));
    ap_async_recorder *r = NULL;
    REQUIRE_OK(ap_async_recorder_new_minmax(m, NULL, &r));
    const uint64_t vs[] = {50, 7, UINT64_MAX, 900, 8};
    for (size_t i = 0; i < 5; i++) CHECK_OK(ap_async_recorder_record(r, vs[i], NULL));
    flush_all(r);
    uint64_t v = 0;
    CHECK_OK(ap_minmax_min(m, &v));
    CHECK_U64(v, 7);
    CHECK_OK(ap_minmax_max(m, &v));
    CHECK_U64(v, UINT64_MAX);
    ap_async_recorder_free(r);
    ap_minmax_free(m);
}

static void test_timer_recorder(void) {
    ap_timer *t = NULL;
    REQUIRE_OK(ap_timer_new(&t));
    ap_async_recorder *r = NULL;
    REQUIRE_OK(ap_async_recorder_new_timer(t, NULL, &r));
    uint64_t total = 0;
    for (uint64_t i = 1; i <= 300; i++) {
        bool queued = false;
        CHECK_OK(ap_async_recorder_record_timer(r, i * 100, i % 3 != 0, &queued));
        CHECK(queued);
        total += i * 100;
    }
    CHECK_OK(ap_async_recorder_record_timer(r, 5, false, NULL));
    flush_all(r);
    ap_timer_stats s;
    CHECK_OK(ap_timer_snapshot(t, &s));
    CHECK_U64(s.count, 301);
    CHECK_U64(s.errors, 101);
    CHECK_U64(s.total_ns, total + 5);
    ap_async_recorder_free(r);
    ap_timer_free(t);
}

static void test_gauge_recorder(void) {
    ap_gauge *g = NULL;
    REQUIRE_OK(ap_gauge_new(0.0, &g));
    /* One worker: operations apply in queue order. */
    ap_async_config c = cfg(16, 1, 4, AP_OVERFLOW_BLOCK);
    ap_async_recorder *r = NULL;
    REQUIRE_OK(ap_async_recorder_new_gauge(g, &c, &r));
    double v = 0;
    bool queued = false;
    CHECK_OK(ap_async_recorder_record_gauge(r, AP_GAUGE_SET, 10.0, &queued));
    CHECK(queued);
    CHECK_OK(ap_async_recorder_record_gauge(r, AP_GAUGE_ADD, 5.0, NULL));
    flush_all(r);
    CHECK_OK(ap_gauge_get(g, &v));
    CHECK_F64(v, 15.0);
    CHECK_OK(ap_async_recorder_record_gauge(r, AP_GAUGE_SET_MAX, 12.0, NULL)); /* no change */
    flush_all(r);
    CHECK_OK(ap_gauge_get(g, &v));
    CHECK_F64(v, 15.0);
    CHECK_OK(ap_async_recorder_record_gauge(r, AP_GAUGE_SET_MAX, 20.0, NULL));
    flush_all(r);
    CHECK_OK(ap_gauge_get(g, &v));
    CHECK_F64(v, 20.0);
    CHECK_OK(ap_async_recorder_record_gauge(r, AP_GAUGE_SET_MIN, 30.0, NULL)); /* no change */
    CHECK_OK(ap_async_recorder_record_gauge(r, AP_GAUGE_SET_MIN, -1.0, NULL));
    CHECK_OK(ap_async_recorder_record_gauge(r, AP_GAUGE_ADD, -2.5, NULL));
    flush_all(r);
    CHECK_OK(ap_gauge_get(g, &v));
    CHECK_F64(v, -3.5);
    ap_async_stats s = stats_of(r);
    CHECK_U64(s.enqueued, 7);
    CHECK_U64(s.applied, 7);

    /* Unknown operation: AP_ERR_OUT_OF_RANGE, queued untouched, nothing counted. */
    const uint32_t bad[] = {4, 5, 100, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        queued = true;
        CHECK_STATUS(ap_async_recorder_record_gauge(r, bad[i], 1.0, &queued), AP_ERR_OUT_OF_RANGE);
        CHECK(queued);
        CHECK(strstr(ap_last_error(), "ap_async_recorder_record_gauge") != NULL);
    }
    s = stats_of(r);
    CHECK_U64(s.enqueued, 7);
    ap_async_recorder_free(r);
    CHECK_OK(ap_gauge_get(g, &v));
    CHECK_F64(v, -3.5);
    ap_gauge_free(g);
}

/* ---- wrong event kinds ---- */

static void check_refuses_value(const ap_async_recorder *r) {
    bool queued = true;
    CHECK_STATUS(ap_async_recorder_record(r, 1, &queued), AP_ERR_INVALID_ARGUMENT);
    CHECK(queued);
    CHECK(strstr(ap_last_error(), "ap_async_recorder_record") != NULL);
    CHECK_STATUS(ap_async_recorder_record(r, 1, NULL), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_async_recorder_record_timeout(r, 1, 1000000), AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "ap_async_recorder_record_timeout") != NULL);
}
static void check_refuses_timer(const ap_async_recorder *r) {
    bool queued = true;
    CHECK_STATUS(ap_async_recorder_record_timer(r, 1, true, &queued), AP_ERR_INVALID_ARGUMENT);
    CHECK(queued);
    CHECK(strstr(ap_last_error(), "ap_async_recorder_record_timer") != NULL);
    CHECK_STATUS(ap_async_recorder_record_timer(r, 1, false, NULL), AP_ERR_INVALID_ARGUMENT);
}
static void check_refuses_gauge(const ap_async_recorder *r) {
    bool queued = true;
    for (uint32_t op = AP_GAUGE_SET; op <= AP_GAUGE_SET_MIN; op++) {
        CHECK_STATUS(ap_async_recorder_record_gauge(r, op, 1.0, &queued), AP_ERR_INVALID_ARGUMENT);
        CHECK(queued);
        CHECK(strstr(ap_last_error(), "ap_async_recorder_record_gauge") != NULL);
    }
}

static void test_wrong_kinds(void) {
    ap_counter *c = NULL;
    ap_histogram *h = NULL;
    ap_minmax *m = NULL;
    ap_timer *t = NULL;
    ap_gauge *g = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    REQUIRE_OK(ap_histogram_new(&h));
    REQUIRE_OK(ap_minmax_new(&m));
    REQUIRE_OK(ap_timer_new(&t));
    REQUIRE_OK(ap_gauge_new(0.0, &g));
    ap_async_recorder *r[5] = {NULL};
    REQUIRE_OK(ap_async_recorder_new_counter(c, NULL, &r[0]));
    REQUIRE_OK(ap_async_recorder_new_histogram(h, NULL, &r[1]));
    REQUIRE_OK(ap_async_recorder_new_minmax(m, NULL, &r[2]));
    REQUIRE_OK(ap_async_recorder_new_timer(t, NULL, &r[3]));
    REQUIRE_OK(ap_async_recorder_new_gauge(g, NULL, &r[4]));

    for (int i = 0; i < 3; i++) { /* value recorders */
        check_refuses_timer(r[i]);
        check_refuses_gauge(r[i]);
    }
    check_refuses_value(r[3]);
    check_refuses_gauge(r[3]);
    check_refuses_value(r[4]);
    check_refuses_timer(r[4]);

    /* Refused events are not counted, and the metrics are untouched. */
    for (int i = 0; i < 5; i++) {
        flush_all(r[i]);
        ap_async_stats s = stats_of(r[i]);
        CHECK_U64(s.enqueued, 0);
        CHECK_U64(s.applied, 0);
        CHECK_U64(s.dropped, 0);
        ap_async_recorder_free(r[i]);
    }
    CHECK_U64(counter_of(c), 0);
    uint64_t n = 1;
    CHECK_OK(ap_histogram_count(h, &n));
    CHECK_U64(n, 0);
    CHECK_STATUS(ap_minmax_min(m, &n), AP_ERR_EMPTY);
    ap_timer_stats ts;
    CHECK_OK(ap_timer_snapshot(t, &ts));
    CHECK_U64(ts.count, 0);
    double v = 1;
    CHECK_OK(ap_gauge_get(g, &v));
    CHECK_F64(v, 0.0);
    ap_counter_free(c);
    ap_histogram_free(h);
    ap_minmax_free(m);
    ap_timer_free(t);
    ap_gauge_free(g);
}

/* ---- configuration and NULL arguments ---- */

static void test_bad_configs(void) {
    ap_counter *c = NULL;
    ap_histogram *h = NULL;
    ap_minmax *m = NULL;
    ap_timer *t = NULL;
    ap_gauge *g = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    REQUIRE_OK(ap_histogram_new(&h));
    REQUIRE_OK(ap_minmax_new(&m));
    REQUIRE_OK(ap_timer_new(&t));
    REQUIRE_OK(ap_gauge_new(0.0, &g));
    const ap_async_config bad[] = {
        cfg(0, 1, 1, AP_OVERFLOW_DROP),  cfg(1, 0, 1, AP_OVERFLOW_DROP),
        cfg(1, 1, 0, AP_OVERFLOW_BLOCK), cfg(0, 0, 0, AP_OVERFLOW_DROP),
        cfg(16, 1, 1, 2),                cfg(16, 1, 1, UINT32_MAX),
    };
    ap_async_recorder *sentinel = (ap_async_recorder *)(uintptr_t)0x1234;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ap_async_recorder *r = sentinel;
        CHECK_STATUS(ap_async_recorder_new_counter(c, &bad[i], &r), AP_ERR_OUT_OF_RANGE);
        CHECK(r == sentinel);
        CHECK(strstr(ap_last_error(), "ap_async_recorder_new_counter") != NULL);
        CHECK_STATUS(ap_async_recorder_new_histogram(h, &bad[i], &r), AP_ERR_OUT_OF_RANGE);
        CHECK_STATUS(ap_async_recorder_new_minmax(m, &bad[i], &r), AP_ERR_OUT_OF_RANGE);
        CHECK_STATUS(ap_async_recorder_new_timer(t, &bad[i], &r), AP_ERR_OUT_OF_RANGE);
        CHECK_STATUS(ap_async_recorder_new_gauge(g, &bad[i], &r), AP_ERR_OUT_OF_RANGE);
        CHECK(r == sentinel);
        CHECK(strstr(ap_last_error(), "ap_async_recorder_new_gauge") != NULL);
    }
    /* A capacity no machine can hold: a status, not a caught panic (AP_ERR_INTERNAL). */
    ap_async_config huge = cfg(SIZE_MAX, 1, 1, AP_OVERFLOW_DROP);
    ap_async_recorder *r = sentinel;
    CHECK_STATUS(ap_async_recorder_new_counter(c, &huge, &r), AP_ERR_OUT_OF_RANGE);
    CHECK(r == sentinel);

    /* The smallest valid configuration in both modes. */
    for (uint32_t mode = AP_OVERFLOW_DROP; mode <= AP_OVERFLOW_BLOCK; mode++) {
        ap_async_config one = cfg(1, 1, 1, mode);
        r = NULL;
        CHECK_OK(ap_async_recorder_new_counter(c, &one, &r));
        REQUIRE(r != NULL);
        CHECK_OK(ap_async_recorder_record_timeout(r, 2, LONG_NS));
        flush_all(r);
        ap_async_recorder_free(r);
    }
    CHECK_U64(counter_of(c), 4);
    /* The metrics were referenced and released by every failed constructor: LeakSanitizer
     * reports them if a reference leaked. */
    ap_counter_free(c);
    ap_histogram_free(h);
    ap_minmax_free(m);
    ap_timer_free(t);
    ap_gauge_free(g);
}

static void test_null_arguments(void) {
    ap_async_recorder *sentinel = (ap_async_recorder *)(uintptr_t)0x1234;
    ap_async_recorder *r = sentinel;
    ap_async_config ok = cfg(4, 1, 1, AP_OVERFLOW_DROP);
    CHECK_STATUS(ap_async_recorder_new_counter(NULL, NULL, &r), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_async_recorder_new_counter(NULL, &ok, &r), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_async_recorder_new_counter") != NULL);
    CHECK_STATUS(ap_async_recorder_new_histogram(NULL, NULL, &r), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_async_recorder_new_minmax(NULL, NULL, &r), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_async_recorder_new_timer(NULL, NULL, &r), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_async_recorder_new_gauge(NULL, NULL, &r), AP_ERR_NULL_HANDLE);
    CHECK(r == sentinel);
    /* NULL out first. */
    CHECK_STATUS(ap_async_recorder_new_counter(NULL, NULL, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_async_recorder_new_histogram(NULL, NULL, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_async_recorder_new_minmax(NULL, NULL, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_async_recorder_new_timer(NULL, NULL, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_async_recorder_new_gauge(NULL, NULL, NULL), AP_ERR_NULL_POINTER);
    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    CHECK_STATUS(ap_async_recorder_new_counter(c, NULL, NULL), AP_ERR_NULL_POINTER);
    ap_async_config zero = cfg(0, 0, 0, 9);
    CHECK_STATUS(ap_async_recorder_new_counter(c, &zero, NULL), AP_ERR_NULL_POINTER);

    /* Every function with a NULL handle; out-values untouched. */
    bool flag = true;
    CHECK_STATUS(ap_async_recorder_record(NULL, 1, &flag), AP_ERR_NULL_HANDLE);
    CHECK(flag);
    CHECK_STATUS(ap_async_recorder_record_timeout(NULL, 1, 1000), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_async_recorder_record_timer(NULL, 1, true, &flag), AP_ERR_NULL_HANDLE);
    CHECK(flag);
    CHECK_STATUS(ap_async_recorder_record_gauge(NULL, AP_GAUGE_SET, 1.0, &flag), AP_ERR_NULL_HANDLE);
    CHECK(flag);
    /* An unknown op on a NULL handle: the handle is what is wrong first (as everywhere else). */
    CHECK_STATUS(ap_async_recorder_record_gauge(NULL, 99, 1.0, &flag), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_async_recorder_flush(NULL, 0, &flag), AP_ERR_NULL_HANDLE);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_async_recorder_flush") != NULL);
    CHECK_STATUS(ap_async_recorder_flush(NULL, 0, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_async_recorder_close(NULL), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_async_recorder_close") != NULL);
    ap_async_stats s, p;
    memset(&s, 0xA5, sizeof s);
    memcpy(&p, &s, sizeof s);
    CHECK_STATUS(ap_async_recorder_stats(NULL, &s), AP_ERR_NULL_HANDLE);
    CHECK(memcmp(&s, &p, sizeof s) == 0);
    CHECK_STATUS(ap_async_recorder_stats(NULL, NULL), AP_ERR_NULL_HANDLE);

    /* NULL out-pointers on a live recorder. */
    REQUIRE_OK(ap_async_recorder_new_counter(c, &ok, &r));
    CHECK_STATUS(ap_async_recorder_flush(r, 0, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_async_recorder_stats(r, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_async_recorder_stats") != NULL);

    ap_async_recorder_free(NULL);
    CHECK(ap_async_recorder_clone(NULL) == NULL);
    ap_async_recorder_free(r);
    ap_counter_free(c);
}

/* ---- close ---- */

static void test_close(void) {
    ap_counter *c = NULL;
    ap_timer *t = NULL;
    ap_gauge *g = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    REQUIRE_OK(ap_timer_new(&t));
    REQUIRE_OK(ap_gauge_new(1.0, &g));
    ap_async_config bc = cfg(64, 2, 8, AP_OVERFLOW_BLOCK);
    ap_async_recorder *r = NULL, *rt = NULL, *rg = NULL;
    REQUIRE_OK(ap_async_recorder_new_counter(c, &bc, &r));
    REQUIRE_OK(ap_async_recorder_new_timer(t, NULL, &rt));
    REQUIRE_OK(ap_async_recorder_new_gauge(g, NULL, &rg));

    for (int i = 0; i < 5000; i++) CHECK_OK(ap_async_recorder_record(r, 3, NULL));
    CHECK_OK(ap_async_recorder_record_timer(rt, 10, false, NULL));
    CHECK_OK(ap_async_recorder_record_gauge(rg, AP_GAUGE_ADD, 1.0, NULL));

    /* Close drains: everything queued before it is in the metric when it returns. */
    CHECK_OK(ap_async_recorder_close(r));
    CHECK_OK(ap_async_recorder_close(rt));
    CHECK_OK(ap_async_recorder_close(rg));
    CHECK_U64(counter_of(c), 15000);
    ap_async_stats s = stats_of(r);
    CHECK(s.closed);
    CHECK_U64(s.enqueued, 5000);
    CHECK_U64(s.applied, 5000);
    CHECK_U64(s.dropped, 0);
    ap_timer_stats ts;
    CHECK_OK(ap_timer_snapshot(t, &ts));
    CHECK_U64(ts.count, 1);
    CHECK_U64(ts.errors, 1);
    double v = 0;
    CHECK_OK(ap_gauge_get(g, &v));
    CHECK_F64(v, 2.0);

    /* Every record afterwards: AP_ERR_CLOSED, queued untouched, nothing counted. */
    bool queued = true;
    CHECK_STATUS(ap_async_recorder_record(r, 1, &queued), AP_ERR_CLOSED);
    CHECK(queued);
    CHECK(strstr(ap_last_error(), "ap_async_recorder_record") != NULL);
    CHECK_STATUS(ap_async_recorder_record(r, 1, NULL), AP_ERR_CLOSED);
    CHECK_STATUS(ap_async_recorder_record_timeout(r, 1, 0), AP_ERR_CLOSED);
    CHECK_STATUS(ap_async_recorder_record_timeout(r, 1, LONG_NS), AP_ERR_CLOSED);
    CHECK_STATUS(ap_async_recorder_record_timer(rt, 1, true, &queued), AP_ERR_CLOSED);
    CHECK(queued);
    CHECK_STATUS(ap_async_recorder_record_gauge(rg, AP_GAUGE_SET, 5.0, &queued), AP_ERR_CLOSED);
    CHECK(queued);
    /* A wrong kind on a closed recorder is still the wrong kind. */
    CHECK_STATUS(ap_async_recorder_record_timer(r, 1, true, NULL), AP_ERR_INVALID_ARGUMENT);

    /* Closing again does nothing; flush and stats still work. */
    CHECK_OK(ap_async_recorder_close(r));
    bool done = false;
    CHECK_OK(ap_async_recorder_flush(r, 0, &done));
    CHECK(done);
    s = stats_of(r);
    CHECK(s.closed);
    CHECK_U64(s.enqueued, 5000);
    CHECK_U64(s.applied, 5000);
    CHECK_U64(counter_of(c), 15000);

    /* A clone sees the closed recorder. */
    ap_async_recorder *r2 = ap_async_recorder_clone(r);
    REQUIRE(r2 != NULL);
    CHECK_STATUS(ap_async_recorder_record(r2, 1, NULL), AP_ERR_CLOSED);
    CHECK(stats_of(r2).closed);
    ap_async_recorder_free(r2);

    ap_async_recorder_free(r);
    ap_async_recorder_free(rt);
    ap_async_recorder_free(rg);
    CHECK_OK(ap_gauge_get(g, &v));
    CHECK_F64(v, 2.0);
    ap_counter_free(c);
    ap_timer_free(t);
    ap_gauge_free(g);
}

/* ---- overflow modes on a tiny queue ---- */

static void test_drop_mode(void) {
    enum { N = 50000 };
    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    ap_async_config dc = cfg(1, 1, 1, AP_OVERFLOW_DROP);
    ap_async_recorder *r = NULL;
    REQUIRE_OK(ap_async_recorder_new_counter(c, &dc, &r));
    uint64_t refused = 0;
    for (int i = 0; i < N; i++) {
        bool queued = true;
        CHECK_OK(ap_async_recorder_record(r, 1, &queued)); /* never waits, never fails */
        refused += !queued;
    }
    flush_all(r);
    ap_async_stats s = stats_of(r);
    CHECK_U64(s.enqueued, N);
    CHECK_U64(s.dropped, refused);
    CHECK_U64(s.applied + s.dropped, s.enqueued);
    CHECK_U64(counter_of(c), s.applied); /* each applied event added 1 */
    ap_async_recorder_free(r);
    ap_counter_free(c);
}

static void test_block_mode(void) {
    enum { N = 50000 };
    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    ap_async_config bc = cfg(1, 1, 1, AP_OVERFLOW_BLOCK);
    ap_async_recorder *r = NULL;
    REQUIRE_OK(ap_async_recorder_new_counter(c, &bc, &r));
    for (int i = 0; i < N; i++) {
        bool queued = false;
        CHECK_OK(ap_async_recorder_record(r, 2, &queued));
        CHECK(queued);
    }
    flush_all(r);
    ap_async_stats s = stats_of(r);
    CHECK_U64(s.enqueued, N);
    CHECK_U64(s.applied, N);
    CHECK_U64(s.dropped, 0);
    CHECK_U64(counter_of(c), 2 * N);
    ap_async_recorder_free(r);
    ap_counter_free(c);
}

/* record_timeout on a one-slot queue with no time to wait: each call is queued (OK) or finds
 * no room (AP_ERR_TIMEOUT); a timeout is neither queued nor counted as dropped, in either mode. */
static void test_record_timeout(void) {
    enum { N = 50000 };
    for (uint32_t mode = AP_OVERFLOW_DROP; mode <= AP_OVERFLOW_BLOCK; mode++) {
        ap_counter *c = NULL;
        REQUIRE_OK(ap_counter_new(&c));
        ap_async_config one = cfg(1, 1, 1, mode);
        ap_async_recorder *r = NULL;
        REQUIRE_OK(ap_async_recorder_new_counter(c, &one, &r));
        uint64_t ok = 0, timeouts = 0, other = 0;
        for (int i = 0; i < N; i++) {
            ap_status st = ap_async_recorder_record_timeout(r, 1, i % 2 ? 0 : 1000);
            if (st == AP_OK) ok++;
            else if (st == AP_ERR_TIMEOUT) timeouts++;
            else other++;
        }
        CHECK_U64(other, 0);
        CHECK_U64(ok + timeouts, N);
        flush_all(r);
        ap_async_stats s = stats_of(r);
        CHECK_U64(s.enqueued, ok);
        CHECK_U64(s.dropped, 0);
        CHECK_U64(s.applied, ok);
        CHECK_U64(counter_of(c), ok);
        printf("  record_timeout, %s mode: %" PRIu64 " queued, %" PRIu64 " timed out\n",
               mode == AP_OVERFLOW_DROP ? "drop" : "block", ok, timeouts);
        ap_async_recorder_free(r);
        ap_counter_free(c);
    }
    /* A last timeout's message names the function. */
    CHECK_STATUS(ap_async_recorder_record_timeout(NULL, 1, 0), AP_ERR_NULL_HANDLE);
}

/* ---- the last free drains ---- */

static void *free_recorder_main(void *r) {
    ap_async_recorder_free(r);
    return NULL;
}

static void test_free_drains(void) {
    enum { N = 20000 };
    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    ap_counter *observer = ap_counter_clone(c);
    ap_async_config bc = cfg(65536, 2, 256, AP_OVERFLOW_BLOCK);
    ap_async_recorder *r = NULL;
    REQUIRE_OK(ap_async_recorder_new_counter(c, &bc, &r));
    ap_counter_free(c); /* the recorder keeps the counter */
    for (int i = 0; i < N; i++) CHECK_OK(ap_async_recorder_record(r, 5, NULL));
    ap_async_recorder_free(r); /* no flush, no close: the last free drains */
    CHECK_U64(counter_of(observer), 5 * N);
    ap_counter_free(observer);

    /* With a clone: freeing the first handle drains nothing yet; the clone records on; the last
     * free drains both. */
    ap_histogram *h = NULL;
    REQUIRE_OK(ap_histogram_new(&h));
    REQUIRE_OK(ap_async_recorder_new_histogram(h, &bc, &r));
    ap_async_recorder *r2 = ap_async_recorder_clone(r);
    REQUIRE(r2 != NULL);
    for (int i = 0; i < N; i++) CHECK_OK(ap_async_recorder_record(r, 1, NULL));
    ap_async_recorder_free(r);
    for (int i = 0; i < N; i++) CHECK_OK(ap_async_recorder_record(r2, 2, NULL));
    CHECK(!stats_of(r2).closed);
    ap_async_recorder_free(r2);
    uint64_t n = 0;
    CHECK_OK(ap_histogram_count(h, &n));
    CHECK_U64(n, 2 * N);
    CHECK_OK(ap_histogram_sum(h, &n));
    CHECK_U64(n, 3 * N);
    ap_histogram_free(h);

    /* The metric's handle freed before the recorder's, the recorder freed by another thread. */
    ap_timer *t = NULL;
    REQUIRE_OK(ap_timer_new(&t));
    REQUIRE_OK(ap_async_recorder_new_timer(t, NULL, &r));
    ap_timer *tobs = ap_timer_clone(t);
    ap_timer_free(t);
    for (int i = 0; i < 100; i++) CHECK_OK(ap_async_recorder_record_timer(r, 7, i % 2, NULL));
    pthread_t tid;
    REQUIRE(pthread_create(&tid, NULL, free_recorder_main, r) == 0);
    REQUIRE(pthread_join(tid, NULL) == 0);
    ap_timer_stats ts;
    CHECK_OK(ap_timer_snapshot(tobs, &ts));
    CHECK_U64(ts.count, 100);
    CHECK_U64(ts.errors, 50);
    CHECK_U64(ts.total_ns, 700);
    ap_timer_free(tobs);
}

/* ---- 8 threads ---- */

enum { THREADS = 8, ITERS = 20000 };

struct worker {
    ap_async_recorder *r;
    pthread_barrier_t *start;
    int id;
    uint64_t sum, refused;
};

static void *worker_main(void *arg) {
    struct worker *w = arg;
    ap_async_recorder *own = ap_async_recorder_clone(w->r);
    pthread_barrier_wait(w->start);
    for (int i = 0; i < ITERS; i++) {
        uint64_t v = (uint64_t)(w->id + 1) * 1000 + (uint64_t)(i % 97);
        bool queued = false;
        CHECK_OK(ap_async_recorder_record(own, v, &queued));
        if (queued) w->sum += v;
        else w->refused++;
        if (i % 5000 == 0) {
            ap_async_stats s = stats_of(own);
            CHECK(s.dropped <= s.enqueued);
        }
    }
    ap_async_recorder_free(own);
    return NULL;
}

static void run_threads(ap_async_recorder *r, uint64_t *sum, uint64_t *refused) {
    pthread_barrier_t start;
    REQUIRE(pthread_barrier_init(&start, NULL, THREADS) == 0);
    struct worker w[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){r, &start, i, 0, 0};
        REQUIRE(pthread_create(&tid[i], NULL, worker_main, &w[i]) == 0);
    }
    *sum = 0;
    *refused = 0;
    for (int i = 0; i < THREADS; i++) {
        REQUIRE(pthread_join(tid[i], NULL) == 0);
        *sum += w[i].sum;
        *refused += w[i].refused;
    }
    pthread_barrier_destroy(&start);
}

static void test_threads(void) {
    /* Block mode, small queue, two workers: nothing dropped, the total exact. */
    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    ap_async_config bc = cfg(64, 2, 16, AP_OVERFLOW_BLOCK);
    ap_async_recorder *r = NULL;
    REQUIRE_OK(ap_async_recorder_new_counter(c, &bc, &r));
    uint64_t sum = 0, refused = 0;
    run_threads(r, &sum, &refused);
    flush_all(r);
    ap_async_stats s = stats_of(r);
    CHECK_U64(refused, 0);
    CHECK_U64(s.enqueued, THREADS * ITERS);
    CHECK_U64(s.applied, s.enqueued);
    CHECK_U64(s.dropped, 0);
    CHECK_U64(counter_of(c), sum);
    ap_async_recorder_free(r);
    ap_counter_free(c);

    /* Drop mode, tiny queue: applied + dropped == enqueued, and the total is what was queued. */
    REQUIRE_OK(ap_counter_new(&c));
    ap_async_config dc = cfg(8, 1, 4, AP_OVERFLOW_DROP);
    REQUIRE_OK(ap_async_recorder_new_counter(c, &dc, &r));
    run_threads(r, &sum, &refused);
    flush_all(r);
    s = stats_of(r);
    CHECK_U64(s.enqueued, THREADS * ITERS);
    CHECK_U64(s.applied + s.dropped, s.enqueued);
    CHECK_U64(s.dropped, refused);
    CHECK_U64(counter_of(c), sum);
    printf("  drop mode, 8 threads: %" PRIu64 " applied, %" PRIu64 " dropped\n", s.applied,
           s.dropped);
    ap_async_recorder_free(r);
    ap_counter_free(c);
}

/* Threads record in block mode while main closes: every call is OK or AP_ERR_CLOSED, and once
 * close returned every OK event is in the counter. */
struct closer_worker {
    ap_async_recorder *r;
    uint64_t ok;
    atomic_int *started;
};

static void *closer_worker_main(void *arg) {
    struct closer_worker *w = arg;
    atomic_fetch_add(w->started, 1);
    for (int i = 0; i < 1000000; i++) {
        ap_status st = ap_async_recorder_record(w->r, 1, NULL);
        if (st == AP_ERR_CLOSED) break;
        CHECK_OK(st);
        w->ok++;
    }
    return NULL;
}

static void test_close_while_recording(void) {
    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    ap_async_config bc = cfg(4, 1, 2, AP_OVERFLOW_BLOCK);
    ap_async_recorder *r = NULL;
    REQUIRE_OK(ap_async_recorder_new_counter(c, &bc, &r));
    atomic_int started;
    atomic_init(&started, 0);
    struct closer_worker w[4];
    pthread_t tid[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct closer_worker){r, 0, &started};
        REQUIRE(pthread_create(&tid[i], NULL, closer_worker_main, &w[i]) == 0);
    }
    while (atomic_load(&started) < 4) sleep_ms(1);
    sleep_ms(10);
    CHECK_OK(ap_async_recorder_close(r));
    for (int i = 0; i < 4; i++) REQUIRE(pthread_join(tid[i], NULL) == 0);
    uint64_t ok = w[0].ok + w[1].ok + w[2].ok + w[3].ok;
    ap_async_stats s = stats_of(r);
    CHECK(s.closed);
    CHECK_U64(s.enqueued, ok);
    CHECK_U64(s.applied, ok);
    CHECK_U64(s.dropped, 0);
    CHECK_U64(counter_of(c), ok);
    ap_async_recorder_free(r);
    ap_counter_free(c);
}

int main(void) {
    test_counter_recorder();
    test_histogram_recorder();
    test_minmax_recorder();
    test_timer_recorder();
    test_gauge_recorder();
    test_wrong_kinds();
    test_bad_configs();
    test_null_arguments();
    test_close();
    test_drop_mode();
    test_block_mode();
    test_record_timeout();
    test_free_drains();
    test_threads();
    test_close_while_recording();
    return check_done();
}
