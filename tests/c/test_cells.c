/* ap_counter_cells / ap_gauge_cells: the layout the header promises, foreign writers updating the
 * cells with C11 atomics (mixed with API calls) read back exactly through the API, and the
 * lifetime rule: a clone keeps the cells valid after every other handle is freed (ASan reports
 * a use-after-free otherwise; freed memory is poisoned by the Makefile's ASAN_OPTIONS). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>

#include "check.h"

static _Atomic uint64_t *cell_at(const ap_cells *c, size_t i) {
    return (_Atomic uint64_t *)(void *)((char *)c->base + c->offset + i * c->stride);
}

static uint64_t counter_of(const ap_counter *c) {
    uint64_t v = 0;
    CHECK_OK(ap_counter_get(c, &v));
    return v;
}

static void poison(ap_cells *c) { memset(c, 0xA5, sizeof *c); }
static int is_poisoned(const ap_cells *c) {
    ap_cells p;
    poison(&p);
    return memcmp(c, &p, sizeof p) == 0;
}

static void check_layout(const ap_cells *c) {
    CHECK(c->base != NULL);
    CHECK(c->count >= 1);
    CHECK_U64(c->stride % 8, 0);
    if (c->count == 1) {
        CHECK(c->stride >= 8); /* "a multiple of 8, at least 8" */
    } else {
        CHECK(c->stride >= 8); /* distinct cells */
    }
    for (size_t i = 0; i < c->count; i++) {
        CHECK_U64((uintptr_t)cell_at(c, i) % 8, 0);
    }
}

static void test_counter_layout(void) {
    CHECK_U64(AP_CELL_COUNTER_STRIPES, 1);
    CHECK_U64(AP_CELL_GAUGE_BITS, 2);
    CHECK_U64(sizeof(uint64_t), 8);

    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    ap_cells cells;
    poison(&cells);
    REQUIRE_OK(ap_counter_cells(c, &cells));
    CHECK_U64(cells.kind, AP_CELL_COUNTER_STRIPES);
    check_layout(&cells);
    CHECK((cells.count & (cells.count - 1)) == 0); /* a stripe count: a power of two */
    CHECK(cells.count <= 1024);
    /* Fresh counter: every stripe reads 0. */
    for (size_t i = 0; i < cells.count; i++) {
        CHECK_U64(atomic_load_explicit(cell_at(&cells, i), memory_order_relaxed), 0);
    }
    /* A clone describes the same cells. */
    ap_counter *clone = ap_counter_clone(c);
    ap_cells again;
    CHECK_OK(ap_counter_cells(clone, &again));
    CHECK(again.base == cells.base && again.offset == cells.offset &&
          again.count == cells.count && again.stride == cells.stride && again.kind == cells.kind);
    ap_counter_free(clone);
    ap_counter_free(c);

    /* Every stripe count: count == stripes, and adding (i + 1) to stripe i is seen by get. */
    for (size_t s = 1; s <= 1024; s *= 2) {
        REQUIRE_OK(ap_counter_new_with_stripes(s, &c));
        poison(&cells);
        CHECK_OK(ap_counter_cells(c, &cells));
        CHECK_U64(cells.count, s);
        CHECK_U64(cells.kind, AP_CELL_COUNTER_STRIPES);
        check_layout(&cells);
        uint64_t want = 0;
        for (size_t i = 0; i < cells.count; i++) {
            atomic_fetch_add_explicit(cell_at(&cells, i), i + 1, memory_order_relaxed);
            want += i + 1;
        }
        CHECK_OK(ap_counter_add(c, 1000));
        CHECK_U64(counter_of(c), want + 1000);
        ap_counter_free(c);
    }

    /* Errors: NULL handle (out untouched), NULL out. */
    poison(&cells);
    CHECK_STATUS(ap_counter_cells(NULL, &cells), AP_ERR_NULL_HANDLE);
    CHECK(is_poisoned(&cells));
    CHECK(strstr(ap_last_error(), "ap_counter_cells") != NULL);
    CHECK_STATUS(ap_counter_cells(NULL, NULL), AP_ERR_NULL_HANDLE);
    REQUIRE_OK(ap_counter_new(&c));
    CHECK_STATUS(ap_counter_cells(c, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_counter_cells") != NULL);
    ap_counter_free(c);
}

/* ---- 4 threads adding to the stripes directly, mixed with API adds ---- */

enum { THREADS = 4, PER_THREAD = 1000000, API_EVERY = 10000 };

struct adder {
    ap_counter *c; /* the thread's own clone */
    ap_cells cells;
    pthread_barrier_t *start;
    int id;
    uint64_t api_added;
};

static void *adder_main(void *arg) {
    struct adder *a = arg;
    _Atomic uint64_t *mine = cell_at(&a->cells, (size_t)a->id % a->cells.count);
    pthread_barrier_wait(a->start);
    for (int i = 0; i < PER_THREAD; i++) {
        atomic_fetch_add_explicit(mine, 1, memory_order_relaxed);
        if (i % API_EVERY == 0) {
            CHECK_OK(ap_counter_add(a->c, 7));
            a->api_added += 7;
        }
    }
    ap_counter_free(a->c);
    return NULL;
}

static void run_adders(size_t stripes) {
    ap_counter *c = NULL;
    if (stripes == 0) {
        REQUIRE_OK(ap_counter_new(&c));
    } else {
        REQUIRE_OK(ap_counter_new_with_stripes(stripes, &c));
    }
    pthread_barrier_t start;
    REQUIRE(pthread_barrier_init(&start, NULL, THREADS) == 0);
    struct adder a[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        a[i] = (struct adder){ap_counter_clone(c), {0}, &start, i, 0};
        REQUIRE(a[i].c != NULL);
        REQUIRE_OK(ap_counter_cells(a[i].c, &a[i].cells));
        REQUIRE(pthread_create(&tid[i], NULL, adder_main, &a[i]) == 0);
    }
    uint64_t api = 0;
    for (int i = 0; i < THREADS; i++) {
        REQUIRE(pthread_join(tid[i], NULL) == 0);
        api += a[i].api_added;
    }
    pthread_barrier_destroy(&start);
    CHECK_U64(api, (uint64_t)THREADS * (PER_THREAD / API_EVERY) * 7);
    CHECK_U64(counter_of(c), (uint64_t)THREADS * PER_THREAD + api);
    ap_counter_free(c);
}

static void test_counter_threads(void) {
    run_adders(0); /* default stripes */
    run_adders(1); /* every thread on the one stripe, contending with the API */
    run_adders(2); /* two threads per stripe */
}

/* ---- gauge cell ---- */

static uint64_t bits_of(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}
static double double_of(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* add via the documented CAS loop: load, compute, compare-and-swap, retry */
static void cas_add(_Atomic uint64_t *cell, double d) {
    uint64_t cur = atomic_load_explicit(cell, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(cell, &cur, bits_of(double_of(cur) + d),
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}
static void cas_set_max(_Atomic uint64_t *cell, double v) {
    uint64_t cur = atomic_load_explicit(cell, memory_order_relaxed);
    while (v > double_of(cur) &&
           !atomic_compare_exchange_weak_explicit(cell, &cur, bits_of(v), memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

static double gauge_of(const ap_gauge *g) {
    double v = NAN;
    CHECK_OK(ap_gauge_get(g, &v));
    return v;
}

static void test_gauge_cell(void) {
    ap_gauge *g = NULL;
    REQUIRE_OK(ap_gauge_new(1.5, &g));
    ap_cells cells;
    poison(&cells);
    REQUIRE_OK(ap_gauge_cells(g, &cells));
    CHECK_U64(cells.kind, AP_CELL_GAUGE_BITS);
    CHECK_U64(cells.count, 1);
    CHECK_U64(cells.stride, 8);
    check_layout(&cells);
    _Atomic uint64_t *cell = cell_at(&cells, 0);

    /* The cell holds the IEEE-754 bits of the value, both ways. */
    CHECK_U64(atomic_load(cell), bits_of(1.5));
    atomic_store_explicit(cell, bits_of(3.5), memory_order_relaxed);
    CHECK_F64(gauge_of(g), 3.5);
    CHECK_OK(ap_gauge_set(g, -7.25));
    CHECK_U64(atomic_load(cell), bits_of(-7.25));
    atomic_store(cell, bits_of(0.0));
    CHECK_OK(ap_gauge_add(g, 2.0));
    CHECK_F64(gauge_of(g), 2.0);
    cas_add(cell, 0.5);
    CHECK_F64(gauge_of(g), 2.5);
    cas_set_max(cell, 1.0); /* no change */
    CHECK_F64(gauge_of(g), 2.5);
    cas_set_max(cell, 9.0);
    CHECK_F64(gauge_of(g), 9.0);

    /* A clone describes the same cell. */
    ap_gauge *clone = ap_gauge_clone(g);
    ap_cells again;
    CHECK_OK(ap_gauge_cells(clone, &again));
    CHECK(again.base == cells.base && again.offset == cells.offset);
    ap_gauge_free(clone);

    /* Errors. */
    poison(&cells);
    CHECK_STATUS(ap_gauge_cells(NULL, &cells), AP_ERR_NULL_HANDLE);
    CHECK(is_poisoned(&cells));
    CHECK(strstr(ap_last_error(), "ap_gauge_cells") != NULL);
    CHECK_STATUS(ap_gauge_cells(NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_gauge_cells(g, NULL), AP_ERR_NULL_POINTER);
    ap_gauge_free(g);
}

enum { GAUGE_THREADS = 4, GAUGE_ITERS = 100000 };

struct gauge_adder {
    ap_gauge *g;
    pthread_barrier_t *start;
};

static void *gauge_adder_main(void *arg) {
    struct gauge_adder *a = arg;
    ap_cells cells;
    CHECK_OK(ap_gauge_cells(a->g, &cells));
    _Atomic uint64_t *cell = cell_at(&cells, 0);
    pthread_barrier_wait(a->start);
    for (int i = 0; i < GAUGE_ITERS; i++) {
        cas_add(cell, 1.0);
        if (i % 100 == 0) {
            CHECK_OK(ap_gauge_add(a->g, 2.0)); /* the library's own CAS, on the same cell */
        }
    }
    return NULL;
}

static void test_gauge_threads(void) {
    ap_gauge *g = NULL;
    REQUIRE_OK(ap_gauge_new(0.0, &g));
    pthread_barrier_t start;
    REQUIRE(pthread_barrier_init(&start, NULL, GAUGE_THREADS) == 0);
    struct gauge_adder a[GAUGE_THREADS];
    pthread_t tid[GAUGE_THREADS];
    for (int i = 0; i < GAUGE_THREADS; i++) {
        a[i] = (struct gauge_adder){g, &start};
        REQUIRE(pthread_create(&tid[i], NULL, gauge_adder_main, &a[i]) == 0);
    }
    for (int i = 0; i < GAUGE_THREADS; i++) REQUIRE(pthread_join(tid[i], NULL) == 0);
    pthread_barrier_destroy(&start);
    /* Integers below 2^53 are exact: no update was lost. */
    CHECK_F64(gauge_of(g), (double)GAUGE_THREADS * (GAUGE_ITERS + 2 * (GAUGE_ITERS / 100)));
    ap_gauge_free(g);
}

/* ---- lifetime: a clone keeps the cells valid after main frees its handle ---- */

enum { LIFE_ITERS = 1000000 };

struct lifetime {
    ap_counter *own; /* the writer's clone, freed by the writer after its last write */
    atomic_int halfway;
    atomic_int main_freed;
    uint64_t seen; /* the total the writer read before freeing its clone */
};

static void *lifetime_writer(void *arg) {
    struct lifetime *l = arg;
    ap_cells cells;
    REQUIRE_OK(ap_counter_cells(l->own, &cells));
    for (int i = 0; i < LIFE_ITERS; i++) {
        atomic_fetch_add_explicit(cell_at(&cells, (size_t)i % cells.count), 1,
                                  memory_order_relaxed);
        if (i == LIFE_ITERS / 2) {
            atomic_store(&l->halfway, 1);
            while (!atomic_load(&l->main_freed)) {
                sched_yield();
            }
        }
    }
    CHECK_OK(ap_counter_get(l->own, &l->seen));
    ap_counter_free(l->own); /* the last handle: the cells are gone after this */
    return NULL;
}

static void test_lifetime(void) {
    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    CHECK_OK(ap_counter_add(c, 5));
    struct lifetime l;
    l.own = ap_counter_clone(c);
    atomic_init(&l.halfway, 0);
    atomic_init(&l.main_freed, 0);
    l.seen = 0;
    pthread_t tid;
    REQUIRE(pthread_create(&tid, NULL, lifetime_writer, &l) == 0);
    while (!atomic_load(&l.halfway)) {
        sched_yield();
    }
    ap_counter_free(c); /* mid-way: the writer's clone keeps the counter and its cells */
    atomic_store(&l.main_freed, 1);
    REQUIRE(pthread_join(tid, NULL) == 0);
    CHECK_U64(l.seen, LIFE_ITERS + 5);
}

int main(void) {
    test_counter_layout();
    test_counter_threads();
    test_gauge_cell();
    test_gauge_threads();
    test_lifetime();
    return check_done();
}
