/* ap_summary_layout / ap_summary_entry_layout: the layout the header promises, a foreign writer
 * recording by its steps (CLOCK_MONOTONIC, the current word, the entry's histogram cells;
 * ap_summary_record at a slot change) giving what ap_summary_record gives, threads doing so
 * across slot changes with exact count and sum, every documented error, and the lifetime rule: a
 * clone keeps the cells valid after every other handle is freed (ASan reports a use-after-free
 * otherwise). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "check.h"

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static uint64_t monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static _Atomic uint64_t *cell(const ap_histogram_cells *c, size_t offset) {
    return (_Atomic uint64_t *)(void *)((char *)c->base + offset);
}

/* ap_histogram_cells' steps for one value (n = 1; these tests stay far from saturation). */
static void histogram_record(const ap_histogram_cells *c, uint64_t v) {
    if (v > c->highest) {
        atomic_fetch_add(cell(c, c->overflow_offset), 1);
        v = c->highest;
    }
    _Atomic uint64_t *min = cell(c, c->min_offset), *max = cell(c, c->max_offset);
    for (uint64_t old = atomic_load(min); v < old;) {
        if (atomic_compare_exchange_weak(min, &old, v)) break;
    }
    for (uint64_t old = atomic_load(max); v > old;) {
        if (atomic_compare_exchange_weak(max, &old, v)) break;
    }
    atomic_fetch_add_explicit(cell(c, c->sum_offset), v, memory_order_relaxed);
    uint32_t m = c->sub_bits;
    uint64_t mask = (UINT64_C(1) << (m + 1)) - 1;
    uint32_t k = 63 - (uint32_t)__builtin_clzll(v | mask) - m;
    size_t index = ((size_t)k << m) + (size_t)(v >> k);
    REQUIRE(index < c->bucket_count);
    atomic_fetch_add_explicit(cell(c, c->bucket_offset + 8 * index), 1, memory_order_release);
}

/* A summary's description: the header and every entry's cells. */
struct layout {
    ap_summary_cells s;
    ap_histogram_cells entries[257];
};

static void describe(const ap_summary *s, struct layout *l) {
    REQUIRE_OK(ap_summary_layout(s, &l->s));
    REQUIRE(l->s.entry_count >= 3 && l->s.entry_count <= 257);
    for (size_t i = 0; i < l->s.entry_count; i++) REQUIRE_OK(ap_summary_entry_layout(s, i, &l->entries[i]));
}

/* The header's steps: returns 1 when the value went into the current entry's cells, 0 when the
 * slot was changing and it went through ap_summary_record. */
static int foreign_record(const ap_summary *s, const struct layout *l, uint64_t v) {
    if (l->s.clock == AP_SUMMARY_CLOCK_MONOTONIC) {
        uint64_t now = monotonic_ns();
        uint64_t word = atomic_load_explicit((const _Atomic uint64_t *)l->s.current, memory_order_acquire);
        uint64_t slot = word >> l->s.index_bits;
        uint64_t index = word & ((UINT64_C(1) << l->s.index_bits) - 1);
        if (now - slot * l->s.slot_ns < l->s.slot_ns && index < l->s.entry_count) {
            histogram_record(&l->entries[index], v);
            return 1;
        }
    }
    CHECK_OK(ap_summary_record(s, v));
    return 0;
}

static uint64_t stat_of(ap_status (*f)(const ap_summary *, uint64_t *), const ap_summary *s) {
    uint64_t v = 0;
    CHECK_OK(f(s, &v));
    return v;
}

static void test_layout(void) {
    ap_summary *s = NULL;
    REQUIRE_OK(ap_summary_new(NULL, &s));
    ap_summary_cells c;
    memset(&c, 0xA5, sizeof c);
    REQUIRE_OK(ap_summary_layout(s, &c));
    CHECK(c.current != NULL);
    CHECK_U64((uintptr_t)c.current % 8, 0);
    CHECK_U64(c.index_bits, 16);
    CHECK_U64(c.clock, AP_SUMMARY_CLOCK_MONOTONIC); /* Linux: the coarse monotonic clock */
    CHECK_U64(c.slot_ns, 120000000000ull); /* 10 minutes in 5 steps */
    CHECK_U64(c.entry_count, 7);           /* age buckets + 2 */
    /* The current word names the current slot and an entry of the ring. */
    uint64_t word = atomic_load((const _Atomic uint64_t *)c.current);
    CHECK((word & 0xFFFF) < c.entry_count);
    uint64_t slot = word >> 16, now_slot = monotonic_ns() / c.slot_ns;
    CHECK(slot == now_slot || slot + 1 == now_slot); /* the coarse clock lags by a tick at most */

    /* Every entry is laid out as a default histogram, at its own address. */
    ap_histogram *h = NULL;
    REQUIRE_OK(ap_histogram_new(&h));
    ap_histogram_cells want;
    REQUIRE_OK(ap_histogram_layout(h, &want));
    ap_histogram_cells e[7];
    for (size_t i = 0; i < 7; i++) {
        REQUIRE_OK(ap_summary_entry_layout(s, i, &e[i]));
        CHECK(e[i].base != NULL);
        for (size_t j = 0; j < i; j++) CHECK(e[j].base != e[i].base);
        CHECK(e[i].min_offset == want.min_offset && e[i].max_offset == want.max_offset &&
              e[i].overflow_offset == want.overflow_offset && e[i].sum_offset == want.sum_offset &&
              e[i].sum_stride == want.sum_stride && e[i].bucket_offset == want.bucket_offset &&
              e[i].bucket_count == want.bucket_count && e[i].highest == want.highest &&
              e[i].sub_bits == want.sub_bits &&
              e[i].significant_figures == want.significant_figures);
        CHECK(e[i].sum_count >= 1);
    }
    ap_histogram_free(h);
    /* A clone describes the same cells. */
    ap_summary *clone = ap_summary_clone(s);
    ap_summary_cells again;
    ap_histogram_cells e0;
    CHECK_OK(ap_summary_layout(clone, &again));
    CHECK_OK(ap_summary_entry_layout(clone, 0, &e0));
    CHECK(again.current == c.current && again.slot_ns == c.slot_ns && e0.base == e[0].base);
    ap_summary_free(clone);

    /* Errors: out untouched. */
    ap_histogram_cells untouched;
    memset(&untouched, 0xA5, sizeof untouched);
    ap_histogram_cells out = untouched;
    CHECK_STATUS(ap_summary_entry_layout(s, 7, &out), AP_ERR_OUT_OF_RANGE);
    CHECK(strstr(ap_last_error(), "entry 7") != NULL);
    CHECK_STATUS(ap_summary_entry_layout(s, SIZE_MAX, &out), AP_ERR_OUT_OF_RANGE);
    CHECK(memcmp(&out, &untouched, sizeof out) == 0);
    CHECK_STATUS(ap_summary_entry_layout(NULL, 0, &out), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_summary_entry_layout") != NULL);
    CHECK(memcmp(&out, &untouched, sizeof out) == 0);
    CHECK_STATUS(ap_summary_entry_layout(s, 0, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_summary_entry_layout(NULL, 0, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_summary_layout(NULL, &again), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_summary_layout") != NULL);
    CHECK_STATUS(ap_summary_layout(s, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_summary_layout(NULL, NULL), AP_ERR_NULL_HANDLE);

    /* Another layout: 1 s in 4 steps, 3 significant figures up to 1e9. */
    ap_summary_options o;
    REQUIRE_OK(ap_summary_options_default(&o));
    o.max_age_ns = 1000000000;
    o.age_buckets = 4;
    o.significant_figures = 3;
    o.highest = 1000000000;
    ap_summary *t = NULL;
    REQUIRE_OK(ap_summary_new(&o, &t));
    CHECK_OK(ap_summary_layout(t, &c));
    CHECK_U64(c.slot_ns, 250000000);
    CHECK_U64(c.entry_count, 6);
    CHECK_OK(ap_summary_entry_layout(t, 5, &e0));
    CHECK_U64(e0.highest, 1000000000);
    CHECK_U64(e0.significant_figures, 3);
    CHECK_STATUS(ap_summary_entry_layout(t, 6, &e0), AP_ERR_OUT_OF_RANGE);
    ap_summary_free(t);
    ap_summary_free(s);
}

/* The same values through the cells and through ap_summary_record: the same count, sum, window
 * and quantiles (one slot: the default 2-minute age buckets). */
static void test_same_as_record(void) {
    ap_summary *direct = NULL, *called = NULL;
    REQUIRE_OK(ap_summary_new(NULL, &direct));
    REQUIRE_OK(ap_summary_new(NULL, &called));
    struct layout l;
    describe(direct, &l);
    int written = 0;
    for (uint64_t i = 1; i <= 20000; i++) {
        uint64_t v = (i * 7919) % 100000 * 1000 + i; /* spread over many buckets */
        if (i % 1000 == 0) v = UINT64_C(1) << 40;    /* past highest: clamped, overflow */
        written += foreign_record(direct, &l, v);
        CHECK_OK(ap_summary_record(called, v));
    }
    CHECK(written > 0);
    CHECK_U64(stat_of(ap_summary_count, direct), stat_of(ap_summary_count, called));
    CHECK_U64(stat_of(ap_summary_sum, direct), stat_of(ap_summary_sum, called));
    CHECK_U64(stat_of(ap_summary_window_count, direct), 20000);
    CHECK_U64(stat_of(ap_summary_window_count, called), 20000);
    const double qs[] = {0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        uint64_t a = 1, b = 2;
        CHECK_OK(ap_summary_quantile(direct, qs[i], &a));
        CHECK_OK(ap_summary_quantile(called, qs[i], &b));
        CHECK_U64(a, b);
    }
    ap_summary_free(direct);
    ap_summary_free(called);
}

/* Threads record through the cells of their own clone (30 ms in 3 steps: many slot changes),
 * the original freed at once; count and sum are exact, and the window empties after max age. */
enum { THREADS = 4, PER_THREAD = 200000 };

struct writer {
    ap_summary *s;
    pthread_barrier_t *start;
    uint64_t sum, written;
};

static void *writer_main(void *arg) {
    struct writer *w = arg;
    struct layout l;
    describe(w->s, &l);
    pthread_barrier_wait(w->start);
    for (uint64_t i = 0; i < PER_THREAD; i++) {
        uint64_t v = 1000 + i % 5000;
        w->written += (uint64_t)foreign_record(w->s, &l, v);
        w->sum += v;
    }
    return NULL;
}

static void test_threads(void) {
    ap_summary_options o;
    REQUIRE_OK(ap_summary_options_default(&o));
    o.max_age_ns = 30000000;
    o.age_buckets = 3;
    ap_summary *s = NULL;
    REQUIRE_OK(ap_summary_new(&o, &s));
    pthread_barrier_t start;
    REQUIRE(pthread_barrier_init(&start, NULL, THREADS) == 0);
    struct writer w[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct writer){ap_summary_clone(s), &start, 0, 0};
        REQUIRE(w[i].s != NULL);
        REQUIRE(pthread_create(&tid[i], NULL, writer_main, &w[i]) == 0);
    }
    ap_summary *reader = ap_summary_clone(s);
    ap_summary_free(s); /* the clones keep every cell alive */
    uint64_t sum = 0, written = 0;
    for (int i = 0; i < THREADS; i++) {
        REQUIRE(pthread_join(tid[i], NULL) == 0);
        sum += w[i].sum;
        written += w[i].written;
    }
    pthread_barrier_destroy(&start);
    CHECK(written > 0);
    CHECK_U64(stat_of(ap_summary_count, reader), (uint64_t)THREADS * PER_THREAD);
    CHECK_U64(stat_of(ap_summary_sum, reader), sum);
    CHECK(stat_of(ap_summary_window_count, reader) <= (uint64_t)THREADS * PER_THREAD);
    sleep_ms(200); /* far past max age, whatever the coarse clock's resolution */
    CHECK_U64(stat_of(ap_summary_window_count, reader), 0);
    uint64_t v = 0;
    CHECK_STATUS(ap_summary_quantile(reader, 0.5, &v), AP_ERR_EMPTY);
    /* After the idle spell the next record is a slot change, through ap_summary_record. */
    struct layout l;
    describe(w[0].s, &l);
    CHECK_U64((uint64_t)foreign_record(w[0].s, &l, 77), 0);
    foreign_record(w[0].s, &l, 77);
    CHECK_U64(stat_of(ap_summary_count, reader), (uint64_t)THREADS * PER_THREAD + 2);
    for (int i = 0; i < THREADS; i++) ap_summary_free(w[i].s);
    ap_summary_free(reader);
}

/* A registry's summary is described the same way, and values written to its cells are
 * exported. */
static void test_registry(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    ap_summary *s = NULL;
    REQUIRE_OK(ap_registry_summary(r, "rpc_seconds", "RPC latency.", NULL, NULL, 0, NULL, &s));
    struct layout l;
    describe(s, &l);
    CHECK_U64(l.s.clock, AP_SUMMARY_CLOCK_MONOTONIC);
    for (uint64_t ms = 1; ms <= 100; ms++) foreign_record(s, &l, ms * 1000000);
    char *text = exported_text(r, AP_FORMAT_PROMETHEUS);
    CHECK(strstr(text, "rpc_seconds_sum 5.05\nrpc_seconds_count 100\n") != NULL);
    CHECK(strstr(text, "rpc_seconds{quantile=\"0.5\"} 0.05") != NULL);
    free(text);
    ap_summary_free(s);
    ap_registry_free(r);
}

int main(void) {
    test_layout();
    test_same_as_record();
    test_threads();
    test_registry();
    return check_done();
}
