/* ap_minmax_*: every function, every documented error, exact extremes, reference counting and 8
 * threads recording into one min/max. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "check.h"

#define SENTINEL UINT64_C(0xDEADBEEFCAFE)

static uint64_t min_of(const ap_minmax *m) {
    uint64_t v = SENTINEL;
    CHECK_OK(ap_minmax_min(m, &v));
    return v;
}

static uint64_t max_of(const ap_minmax *m) {
    uint64_t v = SENTINEL;
    CHECK_OK(ap_minmax_max(m, &v));
    return v;
}

static void check_empty(const ap_minmax *m) {
    uint64_t v = SENTINEL;
    CHECK_STATUS(ap_minmax_min(m, &v), AP_ERR_EMPTY);
    CHECK_U64(v, SENTINEL);
    CHECK(strstr(ap_last_error(), "ap_minmax_min") != NULL);
    CHECK_STATUS(ap_minmax_max(m, &v), AP_ERR_EMPTY);
    CHECK_U64(v, SENTINEL);
    CHECK(strstr(ap_last_error(), "ap_minmax_max") != NULL);
}

static void test_values(void) {
    ap_minmax *m = NULL;
    REQUIRE_OK(ap_minmax_new(&m));
    REQUIRE(m != NULL);
    check_empty(m);

    CHECK_OK(ap_minmax_record(m, 500));
    CHECK_U64(min_of(m), 500);
    CHECK_U64(max_of(m), 500);
    CHECK_OK(ap_minmax_record(m, 700));
    CHECK_OK(ap_minmax_record(m, 300));
    CHECK_OK(ap_minmax_record(m, 600)); /* between: changes nothing */
    CHECK_U64(min_of(m), 300);
    CHECK_U64(max_of(m), 700);

    /* The extremes of uint64_t are values like any other (no sentinel leaks out). */
    CHECK_OK(ap_minmax_record(m, UINT64_MAX));
    CHECK_U64(max_of(m), UINT64_MAX);
    CHECK_U64(min_of(m), 300);
    CHECK_OK(ap_minmax_record(m, 0));
    CHECK_U64(min_of(m), 0);
    CHECK_U64(max_of(m), UINT64_MAX);

    /* Reset: empty again, out untouched. */
    CHECK_OK(ap_minmax_reset(m));
    check_empty(m);
    CHECK_OK(ap_minmax_reset(m)); /* resetting an empty one is fine */
    check_empty(m);

    /* Only UINT64_MAX, then only 0: each alone is both extremes. */
    CHECK_OK(ap_minmax_record(m, UINT64_MAX));
    CHECK_U64(min_of(m), UINT64_MAX);
    CHECK_U64(max_of(m), UINT64_MAX);
    CHECK_OK(ap_minmax_reset(m));
    CHECK_OK(ap_minmax_record(m, 0));
    CHECK_U64(min_of(m), 0);
    CHECK_U64(max_of(m), 0);
    ap_minmax_free(m);
}

static void test_null_arguments(void) {
    uint64_t v = SENTINEL;
    CHECK_STATUS(ap_minmax_new(NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_minmax_new") != NULL);

    CHECK_STATUS(ap_minmax_record(NULL, 1), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_minmax_record") != NULL);
    CHECK_STATUS(ap_minmax_min(NULL, &v), AP_ERR_NULL_HANDLE);
    CHECK_U64(v, SENTINEL);
    CHECK_STATUS(ap_minmax_max(NULL, &v), AP_ERR_NULL_HANDLE);
    CHECK_U64(v, SENTINEL);
    CHECK_STATUS(ap_minmax_reset(NULL), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_minmax_reset") != NULL);
    CHECK_STATUS(ap_minmax_min(NULL, NULL), AP_ERR_NULL_HANDLE); /* the handle is reported */
    CHECK_STATUS(ap_minmax_max(NULL, NULL), AP_ERR_NULL_HANDLE);

    ap_minmax *m = NULL;
    REQUIRE_OK(ap_minmax_new(&m));
    /* NULL out: an error whether or not something was recorded (not AP_ERR_EMPTY). */
    CHECK_STATUS(ap_minmax_min(m, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_minmax_max(m, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_minmax_max") != NULL);
    CHECK_OK(ap_minmax_record(m, 9));
    CHECK_STATUS(ap_minmax_min(m, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_minmax_max(m, NULL), AP_ERR_NULL_POINTER);
    CHECK_U64(min_of(m), 9);
    ap_minmax_free(m);
}

static void test_refcount(void) {
    ap_minmax_free(NULL);
    CHECK(ap_minmax_clone(NULL) == NULL);

    ap_minmax *a = NULL;
    REQUIRE_OK(ap_minmax_new(&a));
    ap_minmax *b = ap_minmax_clone(a);
    REQUIRE(b != NULL);
    CHECK_OK(ap_minmax_record(a, 10));
    CHECK_OK(ap_minmax_record(b, 20));
    CHECK_U64(min_of(b), 10); /* one object */
    CHECK_U64(max_of(a), 20);
    ap_minmax_free(a); /* the clone keeps it alive */
    CHECK_OK(ap_minmax_record(b, 5));
    CHECK_U64(min_of(b), 5);
    CHECK_OK(ap_minmax_reset(b));
    check_empty(b);
    ap_minmax_free(b);
}

/* ---- 8 threads, one min/max ---- */

enum { THREADS = 8, ITERS = 50000 };

struct shared {
    ap_minmax *m;
    pthread_barrier_t start;
    atomic_int writers_left;
    uint64_t lo, hi; /* the true extremes, known in advance */
};

struct worker {
    struct shared *s;
    ap_minmax *own; /* a clone, freed by the thread */
    uint64_t seed;
    uint64_t lo, hi; /* what this thread recorded */
};

static uint64_t next(uint64_t *x) { /* xorshift64 */
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void *writer_main(void *arg) {
    struct worker *w = arg;
    pthread_barrier_wait(&w->s->start);
    w->lo = UINT64_MAX;
    w->hi = 0;
    for (int i = 0; i < ITERS; i++) {
        /* Strictly inside (lo, hi): the true extremes are recorded once, by main. */
        uint64_t v = w->s->lo + 1 + next(&w->seed) % (w->s->hi - w->s->lo - 1);
        CHECK_OK(ap_minmax_record(w->own, v));
        if (v < w->lo) w->lo = v;
        if (v > w->hi) w->hi = v;
    }
    ap_minmax_free(w->own);
    atomic_fetch_sub(&w->s->writers_left, 1);
    return NULL;
}

/* Reads while the others write: OK or EMPTY, and a value seen is one that can have been recorded. */
static void *reader_main(void *arg) {
    struct shared *s = arg;
    pthread_barrier_wait(&s->start);
    while (atomic_load(&s->writers_left) > 0) {
        uint64_t lo = SENTINEL, hi = SENTINEL;
        ap_status a = ap_minmax_min(s->m, &lo);
        ap_status b = ap_minmax_max(s->m, &hi);
        CHECK(a == AP_OK || a == AP_ERR_EMPTY);
        CHECK(b == AP_OK || b == AP_ERR_EMPTY);
        if (a == AP_OK) CHECK(lo >= s->lo && lo <= s->hi);
        if (b == AP_OK) CHECK(hi >= s->lo && hi <= s->hi);
    }
    return NULL;
}

static void test_threads(void) {
    struct shared s;
    REQUIRE_OK(ap_minmax_new(&s.m));
    s.lo = 1000;
    s.hi = UINT64_C(1) << 40;
    atomic_init(&s.writers_left, THREADS);
    REQUIRE(pthread_barrier_init(&s.start, NULL, THREADS + 2) == 0);

    struct worker w[THREADS];
    pthread_t tid[THREADS], reader;
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){&s, ap_minmax_clone(s.m), UINT64_C(0x9E3779B97F4A7C15) * (i + 1), 0, 0};
        REQUIRE(w[i].own != NULL);
        REQUIRE(pthread_create(&tid[i], NULL, writer_main, &w[i]) == 0);
    }
    REQUIRE(pthread_create(&reader, NULL, reader_main, &s) == 0);
    pthread_barrier_wait(&s.start);
    /* The true extremes, recorded by main while the threads run. */
    CHECK_OK(ap_minmax_record(s.m, s.hi));
    CHECK_OK(ap_minmax_record(s.m, s.lo));
    for (int i = 0; i < THREADS; i++) {
        REQUIRE(pthread_join(tid[i], NULL) == 0);
    }
    REQUIRE(pthread_join(reader, NULL) == 0);
    pthread_barrier_destroy(&s.start);
    CHECK_U64(min_of(s.m), s.lo);
    CHECK_U64(max_of(s.m), s.hi);

    /* Without main's extremes: exactly the smallest and largest any thread recorded. */
    CHECK_OK(ap_minmax_reset(s.m));
    atomic_store(&s.writers_left, THREADS);
    REQUIRE(pthread_barrier_init(&s.start, NULL, THREADS + 1) == 0);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){&s, ap_minmax_clone(s.m), UINT64_C(0xD1B54A32D192ED03) * (i + 7), 0, 0};
        REQUIRE(w[i].own != NULL);
        REQUIRE(pthread_create(&tid[i], NULL, writer_main, &w[i]) == 0);
    }
    pthread_barrier_wait(&s.start);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < THREADS; i++) {
        REQUIRE(pthread_join(tid[i], NULL) == 0);
        if (w[i].lo < lo) lo = w[i].lo;
        if (w[i].hi > hi) hi = w[i].hi;
    }
    pthread_barrier_destroy(&s.start);
    CHECK_U64(min_of(s.m), lo);
    CHECK_U64(max_of(s.m), hi);
    ap_minmax_free(s.m);
}

int main(void) {
    test_values();
    test_null_arguments();
    test_refcount();
    test_threads();
    return check_done();
}
