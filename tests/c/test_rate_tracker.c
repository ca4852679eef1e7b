/* ap_rate_tracker_*: every function, every documented error, the first call's zeros, a positive
 * rate after adds, AP_ERR_BUFFER_TOO_SMALL (needed length back, interval not consumed), counter
 * references kept by the tracker, and concurrent callers. Rates are checked for sign only: no
 * assertion depends on timing. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "check.h"

#define SENTINEL UINT64_C(0xDEADBEEFCAFE)
#define FSENTINEL (-12345.5)

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void fill(double *per_second, uint64_t *deltas, size_t n) {
    for (size_t i = 0; i < n; i++) {
        per_second[i] = FSENTINEL;
        deltas[i] = SENTINEL;
    }
}

static void test_rates(void) {
    ap_counter *a = NULL, *b = NULL;
    REQUIRE_OK(ap_counter_new(&a));
    REQUIRE_OK(ap_counter_new(&b));
    CHECK_OK(ap_counter_add(a, 1000)); /* before the tracker: never part of a delta */
    const ap_counter *const counters[] = {a, b};
    ap_rate_tracker *t = NULL;
    REQUIRE_OK(ap_rate_tracker_new(counters, 2, &t));
    REQUIRE(t != NULL);

    /* First call: zeros, whatever happened before. */
    double ps[4];
    uint64_t d[4];
    size_t len = 99;
    CHECK_OK(ap_counter_add(a, 7));
    fill(ps, d, 4);
    CHECK_OK(ap_rate_tracker_rates(t, ps, d, 4, &len));
    CHECK_U64(len, 2);
    CHECK_F64(ps[0], 0.0);
    CHECK_F64(ps[1], 0.0);
    CHECK_U64(d[0], 0);
    CHECK_U64(d[1], 0);
    /* Only `len` elements are written. */
    CHECK_F64(ps[2], FSENTINEL);
    CHECK_U64(d[3], SENTINEL);

    /* Adds and a short sleep: a positive rate for a, zero for b, exact deltas. */
    CHECK_OK(ap_counter_add(a, 100));
    CHECK_OK(ap_counter_inc(a));
    sleep_ms(20);
    fill(ps, d, 4);
    len = 99;
    CHECK_OK(ap_rate_tracker_rates(t, ps, d, 2, &len)); /* capacity exactly the count */
    CHECK_U64(len, 2);
    CHECK_U64(d[0], 101);
    CHECK_U64(d[1], 0);
    CHECK(ps[0] > 0.0);
    CHECK(isfinite(ps[0]));
    CHECK_F64(ps[1], 0.0);

    /* deltas may be NULL. */
    CHECK_OK(ap_counter_add(b, 5));
    sleep_ms(5);
    fill(ps, d, 4);
    CHECK_OK(ap_rate_tracker_rates(t, ps, NULL, 2, &len));
    CHECK_U64(len, 2);
    CHECK_F64(ps[0], 0.0);
    CHECK(ps[1] > 0.0);

    /* Buffer too small: the needed length comes back, the buffers are untouched and the
     * interval is not consumed (the next call still sees these adds). */
    CHECK_OK(ap_counter_add(a, 50));
    CHECK_OK(ap_counter_add(b, 60));
    for (size_t cap = 0; cap < 2; cap++) {
        fill(ps, d, 4);
        len = 99;
        CHECK_STATUS(ap_rate_tracker_rates(t, ps, d, cap, &len), AP_ERR_BUFFER_TOO_SMALL);
        CHECK_U64(len, 2);
        CHECK_F64(ps[0], FSENTINEL);
        CHECK_U64(d[0], SENTINEL);
        CHECK(strstr(ap_last_error(), "ap_rate_tracker_rates") != NULL);
    }
    /* Capacity 0 with NULL buffers: the size query. */
    len = 99;
    CHECK_STATUS(ap_rate_tracker_rates(t, NULL, NULL, 0, &len), AP_ERR_BUFFER_TOO_SMALL);
    CHECK_U64(len, 2);
    /* NULL per_second with room: an error, and also not consumed. */
    len = 99;
    CHECK_STATUS(ap_rate_tracker_rates(t, NULL, d, 2, &len), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_rate_tracker_rates") != NULL);
    sleep_ms(5);
    fill(ps, d, 4);
    CHECK_OK(ap_rate_tracker_rates(t, ps, d, 2, &len));
    CHECK_U64(len, 2);
    CHECK_U64(d[0], 50);
    CHECK_U64(d[1], 60);
    CHECK(ps[0] > 0.0);
    CHECK(ps[1] > 0.0);

    /* Nothing happened since: zero deltas, zero rates (finite, never NaN or infinite). */
    fill(ps, d, 4);
    CHECK_OK(ap_rate_tracker_rates(t, ps, d, 2, &len));
    CHECK_U64(d[0], 0);
    CHECK_U64(d[1], 0);
    CHECK_F64(ps[0], 0.0);
    CHECK_F64(ps[1], 0.0);

    ap_rate_tracker_free(t);
    ap_counter_free(a);
    ap_counter_free(b);
}

static void test_tracker_keeps_its_counters(void) {
    /* The caller frees its counter handles right after creating the tracker. */
    ap_counter *a = NULL, *b = NULL;
    REQUIRE_OK(ap_counter_new(&a));
    REQUIRE_OK(ap_counter_new_with_stripes(1, &b));
    ap_counter *writer = ap_counter_clone(a); /* to add to a after the caller's free */
    const ap_counter *const counters[] = {a, b, a}; /* the same counter twice is allowed */
    ap_rate_tracker *t = NULL;
    REQUIRE_OK(ap_rate_tracker_new(counters, 3, &t));
    ap_counter_free(a);
    ap_counter_free(b); /* b's last caller handle: the tracker now owns it alone */

    double ps[3];
    uint64_t d[3];
    size_t len = 0;
    CHECK_OK(ap_rate_tracker_rates(t, ps, d, 3, &len));
    CHECK_U64(len, 3);
    CHECK_OK(ap_counter_add(writer, 9));
    sleep_ms(2);
    CHECK_OK(ap_rate_tracker_rates(t, ps, d, 3, &len));
    CHECK_U64(d[0], 9);
    CHECK_U64(d[1], 0);
    CHECK_U64(d[2], 9);
    CHECK(ps[0] > 0.0 && ps[2] > 0.0);
    CHECK_F64(ps[0], ps[2]); /* one reading for all counters */
    ap_counter_free(writer);

    /* Clone, free the original, use the clone; the last free releases the counters (LSan). */
    ap_rate_tracker *t2 = ap_rate_tracker_clone(t);
    REQUIRE(t2 != NULL);
    CHECK(t2 == t);
    ap_rate_tracker_free(t);
    CHECK_OK(ap_rate_tracker_rates(t2, ps, d, 3, &len));
    CHECK_U64(len, 3);
    ap_rate_tracker_free(t2);
}

static void test_empty_tracker(void) {
    /* Zero counters: NULL is fine with len 0, and so is a real array. */
    ap_rate_tracker *t = NULL;
    REQUIRE_OK(ap_rate_tracker_new(NULL, 0, &t));
    REQUIRE(t != NULL);
    size_t len = 99;
    CHECK_OK(ap_rate_tracker_rates(t, NULL, NULL, 0, &len));
    CHECK_U64(len, 0);
    double ps[1] = {FSENTINEL};
    len = 99;
    CHECK_OK(ap_rate_tracker_rates(t, ps, NULL, 1, &len));
    CHECK_U64(len, 0);
    CHECK_F64(ps[0], FSENTINEL);
    ap_rate_tracker_free(t);

    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    const ap_counter *const one[] = {c};
    REQUIRE_OK(ap_rate_tracker_new(one, 0, &t));
    len = 99;
    CHECK_OK(ap_rate_tracker_rates(t, NULL, NULL, 0, &len));
    CHECK_U64(len, 0);
    ap_rate_tracker_free(t);
    ap_counter_free(c);
}

static void test_errors(void) {
    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    ap_rate_tracker *sentinel = (ap_rate_tracker *)(uintptr_t)0x1234;
    ap_rate_tracker *t = sentinel;

    /* NULL out (before anything else), NULL array with len > 0, NULL element. */
    const ap_counter *const good[] = {c};
    CHECK_STATUS(ap_rate_tracker_new(good, 1, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_rate_tracker_new(NULL, 0, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_rate_tracker_new(NULL, 2, &t), AP_ERR_NULL_POINTER);
    CHECK(t == sentinel);
    CHECK(strstr(ap_last_error(), "ap_rate_tracker_new") != NULL);
    CHECK_STATUS(ap_rate_tracker_new(NULL, SIZE_MAX, &t), AP_ERR_NULL_POINTER);
    CHECK(t == sentinel);
    const ap_counter *const with_null[] = {c, NULL, c};
    CHECK_STATUS(ap_rate_tracker_new(with_null, 3, &t), AP_ERR_NULL_HANDLE);
    CHECK(t == sentinel);
    CHECK(strstr(ap_last_error(), "ap_rate_tracker_new") != NULL);
    const ap_counter *const only_null[] = {NULL};
    CHECK_STATUS(ap_rate_tracker_new(only_null, 1, &t), AP_ERR_NULL_HANDLE);
    CHECK(t == sentinel);
    CHECK_STATUS(ap_rate_tracker_new(with_null, 3, NULL), AP_ERR_NULL_POINTER);
    /* The references taken before the NULL element were given back: c is freed below with its
     * only handle, and LeakSanitizer would see a leaked reference. */

    /* rates: NULL handle (len untouched), NULL len. */
    REQUIRE_OK(ap_rate_tracker_new(good, 1, &t));
    double ps[1] = {FSENTINEL};
    uint64_t d[1] = {SENTINEL};
    size_t len = 99;
    CHECK_STATUS(ap_rate_tracker_rates(NULL, ps, d, 1, &len), AP_ERR_NULL_HANDLE);
    CHECK_U64(len, 99);
    CHECK_F64(ps[0], FSENTINEL);
    CHECK(strstr(ap_last_error(), "ap_rate_tracker_rates") != NULL);
    CHECK_STATUS(ap_rate_tracker_rates(NULL, NULL, NULL, 0, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_rate_tracker_rates(t, ps, d, 1, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_rate_tracker_rates(t, ps, d, 0, NULL), AP_ERR_NULL_POINTER);
    CHECK_F64(ps[0], FSENTINEL);
    /* None of those consumed the first call: it still gives zeros... */
    CHECK_OK(ap_counter_add(c, 3));
    CHECK_OK(ap_rate_tracker_rates(t, ps, d, 1, &len));
    CHECK_U64(len, 1);
    CHECK_U64(d[0], 0);
    CHECK_F64(ps[0], 0.0);

    ap_rate_tracker_free(NULL);
    CHECK(ap_rate_tracker_clone(NULL) == NULL);
    ap_rate_tracker_free(t);
    ap_counter_free(c);
}

/* ---- concurrent callers and writers ---- */

enum { CALLERS = 4, WRITERS = 4, WRITES = 50000, CALLS = 2000 };

struct shared {
    ap_rate_tracker *t;
    ap_counter *c[2];
    pthread_barrier_t start;
};

static void *caller_main(void *arg) {
    struct shared *s = arg;
    ap_rate_tracker *own = ap_rate_tracker_clone(s->t);
    pthread_barrier_wait(&s->start);
    for (int i = 0; i < CALLS; i++) {
        double ps[2] = {FSENTINEL, FSENTINEL};
        uint64_t d[2] = {SENTINEL, SENTINEL};
        size_t len = 0;
        CHECK_OK(ap_rate_tracker_rates(own, ps, d, 2, &len));
        CHECK(len == 2);
        CHECK(isfinite(ps[0]) && ps[0] >= 0.0 && isfinite(ps[1]) && ps[1] >= 0.0);
        CHECK(d[0] <= (uint64_t)WRITERS * WRITES && d[1] <= (uint64_t)WRITERS * WRITES * 2);
        if (i % 100 == 0) { /* a size query in between */
            CHECK_STATUS(ap_rate_tracker_rates(own, ps, d, 1, &len), AP_ERR_BUFFER_TOO_SMALL);
            CHECK(len == 2);
        }
    }
    ap_rate_tracker_free(own);
    return NULL;
}

static void *writer_main(void *arg) {
    struct shared *s = arg;
    pthread_barrier_wait(&s->start);
    for (int i = 0; i < WRITES; i++) {
        CHECK_OK(ap_counter_inc(s->c[0]));
        CHECK_OK(ap_counter_add(s->c[1], 2));
    }
    return NULL;
}

static void test_concurrent(void) {
    struct shared s;
    REQUIRE_OK(ap_counter_new(&s.c[0]));
    REQUIRE_OK(ap_counter_new(&s.c[1]));
    const ap_counter *const cs[] = {s.c[0], s.c[1]};
    REQUIRE_OK(ap_rate_tracker_new(cs, 2, &s.t));
    REQUIRE(pthread_barrier_init(&s.start, NULL, CALLERS + WRITERS) == 0);
    pthread_t tid[CALLERS + WRITERS];
    for (int i = 0; i < CALLERS + WRITERS; i++) {
        REQUIRE(pthread_create(&tid[i], NULL, i < CALLERS ? caller_main : writer_main, &s) == 0);
    }
    for (int i = 0; i < CALLERS + WRITERS; i++) {
        REQUIRE(pthread_join(tid[i], NULL) == 0);
    }
    pthread_barrier_destroy(&s.start);
    uint64_t v = 0;
    CHECK_OK(ap_counter_get(s.c[0], &v));
    CHECK_U64(v, (uint64_t)WRITERS * WRITES);
    ap_rate_tracker_free(s.t);
    ap_counter_free(s.c[0]);
    ap_counter_free(s.c[1]);
}

int main(void) {
    test_rates();
    test_tracker_keeps_its_counters();
    test_empty_tracker();
    test_errors();
    test_concurrent();
    return check_done();
}
