/* Handles shared between threads: exact totals after join, clones made, used and freed on other
 * threads while the original is in use, and the last owner being another thread. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "check.h"

enum { THREADS = 4, ITERS = 20000, BATCH = 64, BATCHES = 200 };

struct shared {
    ap_counter *counter;
    ap_histogram *hist;
    ap_gauge *gauge;
    pthread_barrier_t start;
};

struct worker {
    struct shared *s;
    int id;
    uint64_t added;    /* what this thread added to the counter */
    uint64_t recorded; /* values recorded into the histogram */
    uint64_t sum;      /* their sum */
};

static void *worker_main(void *arg) {
    struct worker *w = arg;
    struct shared *s = w->s;
    uint64_t batch[BATCH];
    pthread_barrier_wait(&s->start);

    for (int i = 0; i < ITERS; i++) {
        CHECK_OK(ap_counter_inc(s->counter));
        uint64_t v = (uint64_t)(w->id * 1000003 + i) % 5000000; /* within the default range */
        CHECK_OK(ap_histogram_record(s->hist, v));
        CHECK_OK(ap_gauge_inc(s->gauge));
        w->added += 1;
        w->recorded += 1;
        w->sum += v;
    }
    for (int b = 0; b < BATCHES; b++) {
        for (int j = 0; j < BATCH; j++) {
            batch[j] = (uint64_t)(w->id + 1) * 7 + (uint64_t)j * (uint64_t)b;
            w->added += batch[j];
            w->sum += batch[j];
        }
        CHECK_OK(ap_counter_add_many(s->counter, batch, BATCH));
        CHECK_OK(ap_histogram_record_many(s->hist, batch, BATCH));
        CHECK_OK(ap_counter_add(s->counter, 3));
        CHECK_OK(ap_histogram_record_n(s->hist, 11, 2));
        CHECK_OK(ap_gauge_add(s->gauge, 2.0));
        CHECK_OK(ap_gauge_sub(s->gauge, 1.0));
        /* Never below 0 nor above 1e18: no-ops that still run the CAS paths concurrently. */
        CHECK_OK(ap_gauge_set_max(s->gauge, 0.0));
        CHECK_OK(ap_gauge_set_min(s->gauge, 1e18));
        w->added += 3;
        w->recorded += BATCH + 2;
        w->sum += 22;
    }
    /* Reads while others write: must work (values are in flux, so only sanity). */
    uint64_t c = 0;
    CHECK_OK(ap_counter_get(s->counter, &c));
    CHECK(c >= w->added);
    uint64_t q = 0;
    CHECK_OK(ap_histogram_quantile(s->hist, 0.5, &q));
    ap_histogram *snap = NULL;
    CHECK_OK(ap_histogram_snapshot(s->hist, &snap));
    ap_histogram_free(snap);

    /* This thread's failures set this thread's message only. */
    CHECK_STATUS(ap_counter_get(s->counter, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_counter_get") != NULL);
    return NULL;
}

/* A thread that clones the shared handles, uses its clones and frees them while the workers are
 * still using the originals. */
struct cloner {
    struct shared *s;
    uint64_t added;
    uint64_t recorded;
    uint64_t sum;
};

static void *cloner_main(void *arg) {
    struct cloner *cl = arg;
    pthread_barrier_wait(&cl->s->start);
    for (int round = 0; round < 200; round++) {
        ap_counter *c = ap_counter_clone(cl->s->counter);
        ap_histogram *h = ap_histogram_clone(cl->s->hist);
        ap_gauge *g = ap_gauge_clone(cl->s->gauge);
        if (c == NULL || h == NULL || g == NULL) {
            CHECK(!"clone returned NULL for a live handle");
            return NULL;
        }
        for (int i = 0; i < 50; i++) {
            CHECK_OK(ap_counter_add(c, 2));
            CHECK_OK(ap_histogram_record(h, 777));
        }
        CHECK_OK(ap_gauge_inc(g));
        CHECK_OK(ap_gauge_dec(g));
        cl->added += 100;
        cl->recorded += 50;
        cl->sum += 50 * 777;
        ap_counter_free(c);
        ap_histogram_free(h);
        ap_gauge_free(g);
    }
    return NULL;
}

static void test_shared_handles(void) {
    struct shared s;
    REQUIRE_OK(ap_counter_new(&s.counter));
    REQUIRE_OK(ap_histogram_new(&s.hist));
    REQUIRE_OK(ap_gauge_new(0.0, &s.gauge));
    REQUIRE(pthread_barrier_init(&s.start, NULL, THREADS + 1) == 0);

    struct worker w[THREADS];
    pthread_t tid[THREADS + 1];
    struct cloner cl = {&s, 0, 0, 0};
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){&s, i, 0, 0, 0};
        REQUIRE(pthread_create(&tid[i], NULL, worker_main, &w[i]) == 0);
    }
    /* The cloner is the (THREADS+1)th party of the barrier. */
    REQUIRE(pthread_create(&tid[THREADS], NULL, cloner_main, &cl) == 0);
    for (int i = 0; i <= THREADS; i++) {
        REQUIRE(pthread_join(tid[i], NULL) == 0);
    }
    pthread_barrier_destroy(&s.start);

    uint64_t added = cl.added, recorded = cl.recorded, sum = cl.sum;
    for (int i = 0; i < THREADS; i++) {
        added += w[i].added;
        recorded += w[i].recorded;
        sum += w[i].sum;
    }
    uint64_t got = 0;
    CHECK_OK(ap_counter_get(s.counter, &got));
    CHECK_U64(got, added);
    CHECK_OK(ap_histogram_count(s.hist, &got));
    CHECK_U64(got, recorded);
    CHECK_U64(got, THREADS * (ITERS + BATCHES * (BATCH + 2)) + 200 * 50);
    CHECK_OK(ap_histogram_sum(s.hist, &got));
    CHECK_U64(got, sum);
    CHECK_OK(ap_histogram_min(s.hist, &got));
    CHECK_U64(got, 0); /* worker 0, i = 0 recorded 0; batch j = 0, b = 0 recorded 7 */
    /* Gauge: integer steps are exact in a double, so no update was lost. */
    double g = 0;
    CHECK_OK(ap_gauge_get(s.gauge, &g));
    CHECK_F64(g, (double)(THREADS * (ITERS + BATCHES)));
    CHECK_OK(ap_gauge_set(s.gauge, 0.0));

    /* The main thread never failed a call: the workers' errors were their own. */
    CHECK_STR(ap_last_error(), "");

    ap_counter_free(s.counter);
    ap_histogram_free(s.hist);
    ap_gauge_free(s.gauge);
}

/* Main hands a clone to each thread and frees its own handle right away: the threads keep the
 * object alive and the last one to finish frees it. */
struct owner_arg {
    ap_counter *c;
    ap_histogram *h;
    pthread_barrier_t *go;
};

static void *owner_main(void *arg) {
    struct owner_arg *a = arg;
    pthread_barrier_wait(a->go);
    for (int i = 0; i < 5000; i++) {
        CHECK_OK(ap_counter_inc(a->c));
        CHECK_OK(ap_histogram_record(a->h, (uint64_t)i));
    }
    ap_counter_free(a->c);
    ap_histogram_free(a->h);
    return NULL;
}

static void test_last_owner_is_a_thread(void) {
    ap_counter *c = NULL;
    ap_histogram *h = NULL;
    REQUIRE_OK(ap_counter_new_with_stripes(1, &c)); /* one stripe: every thread contends */
    REQUIRE_OK(ap_histogram_new_with_precision(3, 10000, &h));
    ap_counter *observer = ap_counter_clone(c); /* main keeps one to read the result */

    pthread_barrier_t go;
    REQUIRE(pthread_barrier_init(&go, NULL, THREADS + 1) == 0);
    struct owner_arg args[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct owner_arg){ap_counter_clone(c), ap_histogram_clone(h), &go};
        REQUIRE(pthread_create(&tid[i], NULL, owner_main, &args[i]) == 0);
    }
    ap_counter_free(c);   /* main's original handles are released before the threads start */
    ap_histogram_free(h);
    pthread_barrier_wait(&go);
    for (int i = 0; i < THREADS; i++) {
        REQUIRE(pthread_join(tid[i], NULL) == 0);
    }
    pthread_barrier_destroy(&go);
    uint64_t total = 0;
    CHECK_OK(ap_counter_get(observer, &total));
    CHECK_U64(total, THREADS * 5000);
    ap_counter_free(observer);
    /* The histogram's last handle was freed by a worker: LeakSanitizer checks it was released. */
}

int main(void) {
    test_shared_handles();
    test_last_owner_is_a_thread();
    return check_done();
}
