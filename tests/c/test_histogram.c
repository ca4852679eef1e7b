/* ap_histogram_*: every function, every documented error, values and reference counting. */
#include "check.h"

#define SENTINEL UINT64_C(0xA5A5A5A5A5A5A5A5)

static uint64_t count_of(const ap_histogram *h) {
    uint64_t v = SENTINEL;
    CHECK_OK(ap_histogram_count(h, &v));
    return v;
}
static uint64_t sum_of(const ap_histogram *h) {
    uint64_t v = SENTINEL;
    CHECK_OK(ap_histogram_sum(h, &v));
    return v;
}
static uint64_t min_of(const ap_histogram *h) {
    uint64_t v = SENTINEL;
    CHECK_OK(ap_histogram_min(h, &v));
    return v;
}
static uint64_t max_of(const ap_histogram *h) {
    uint64_t v = SENTINEL;
    CHECK_OK(ap_histogram_max(h, &v));
    return v;
}
static double mean_of(const ap_histogram *h) {
    double v = -1.0;
    CHECK_OK(ap_histogram_mean(h, &v));
    return v;
}
static uint64_t quantile_of(const ap_histogram *h, double q) {
    uint64_t v = SENTINEL;
    CHECK_OK(ap_histogram_quantile(h, q, &v));
    return v;
}
static uint64_t overflow_of(const ap_histogram *h) {
    uint64_t v = SENTINEL;
    CHECK_OK(ap_histogram_overflow_count(h, &v));
    return v;
}
static size_t memory_of(const ap_histogram *h) {
    size_t v = 0;
    CHECK_OK(ap_histogram_memory_bytes(h, &v));
    return v;
}

/* The statistics of an empty histogram: AP_ERR_EMPTY and the out-value untouched. */
static void check_empty(const ap_histogram *h) {
    uint64_t u = SENTINEL;
    double d = -42.5;
    CHECK_U64(count_of(h), 0);
    CHECK_U64(sum_of(h), 0);
    CHECK_U64(overflow_of(h), 0);
    CHECK_STATUS(ap_histogram_min(h, &u), AP_ERR_EMPTY);
    CHECK_U64(u, SENTINEL);
    CHECK_STATUS(ap_histogram_max(h, &u), AP_ERR_EMPTY);
    CHECK_U64(u, SENTINEL);
    CHECK_STATUS(ap_histogram_mean(h, &d), AP_ERR_EMPTY);
    CHECK_F64(d, -42.5);
    const double qs[] = {0.0, 0.5, 0.99, 1.0};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        CHECK_STATUS(ap_histogram_quantile(h, qs[i], &u), AP_ERR_EMPTY);
        CHECK_U64(u, SENTINEL);
    }
    CHECK(strlen(ap_last_error()) > 0);
}

static void test_new_and_empty(void) {
    ap_histogram *h = NULL;
    REQUIRE_OK(ap_histogram_new(&h));
    REQUIRE(h != NULL);
    check_empty(h);
    size_t mem = memory_of(h);
    CHECK(mem > 0);
    CHECK(mem <= 16384);
    ap_histogram_free(h);

    /* Every precision 1..5 with a range. */
    for (uint32_t p = 1; p <= 5; p++) {
        REQUIRE_OK(ap_histogram_new_with_precision(p, 1000000, &h));
        check_empty(h);
        CHECK_OK(ap_histogram_record(h, 123456));
        CHECK_U64(min_of(h), 123456);
        CHECK_U64(max_of(h), 123456);
        ap_histogram_free(h);
    }
    /* More precision costs more memory. */
    ap_histogram *lo = NULL, *hi = NULL;
    REQUIRE_OK(ap_histogram_new_with_precision(1, 1000000, &lo));
    REQUIRE_OK(ap_histogram_new_with_precision(3, 1000000, &hi));
    CHECK(memory_of(lo) < memory_of(hi));
    ap_histogram_free(lo);
    ap_histogram_free(hi);

    /* Smallest and largest ranges. */
    REQUIRE_OK(ap_histogram_new_with_precision(1, 2, &h));
    CHECK_OK(ap_histogram_record(h, 0));
    CHECK_OK(ap_histogram_record(h, 2));
    CHECK_OK(ap_histogram_record(h, 3));
    CHECK_U64(min_of(h), 0);
    CHECK_U64(max_of(h), 2);
    CHECK_U64(overflow_of(h), 1);
    ap_histogram_free(h);

    REQUIRE_OK(ap_histogram_new_with_precision(2, UINT64_MAX, &h));
    CHECK_OK(ap_histogram_record(h, UINT64_MAX));
    CHECK_OK(ap_histogram_record(h, 0));
    CHECK_U64(max_of(h), UINT64_MAX);
    CHECK_U64(min_of(h), 0);
    CHECK_U64(overflow_of(h), 0);
    CHECK_U64(quantile_of(h, 1.0), UINT64_MAX);
    CHECK_U64(quantile_of(h, 0.0), 0);
    ap_histogram_free(h);
}

static void test_bad_layouts(void) {
    struct {
        uint32_t precision;
        uint64_t highest;
    } bad[] = {
        {0, 1000}, {6, 1000}, {2, 1}, {2, 0}, {0, 0}, {256, 1000}, {257, 1000}, {UINT32_MAX, 1000},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ap_histogram *sentinel = (ap_histogram *)(uintptr_t)0x5678;
        ap_histogram *h = sentinel;
        CHECK_STATUS(ap_histogram_new_with_precision(bad[i].precision, bad[i].highest, &h),
                     AP_ERR_OUT_OF_RANGE);
        CHECK(h == sentinel);
        CHECK(strlen(ap_last_error()) > 0);
    }
}

static void test_record_and_stats(void) {
    ap_histogram *h = NULL;
    REQUIRE_OK(ap_histogram_new(&h));

    CHECK_OK(ap_histogram_record(h, 100));
    CHECK_OK(ap_histogram_record(h, 300));
    CHECK_U64(count_of(h), 2);
    CHECK_U64(sum_of(h), 400);
    CHECK_U64(min_of(h), 100);
    CHECK_U64(max_of(h), 300);
    CHECK_F64(mean_of(h), 200.0);
    CHECK_U64(quantile_of(h, 0.0), 100); /* extremes are exact */
    CHECK_U64(quantile_of(h, 1.0), 300);
    CHECK_U64(quantile_of(h, -0.0), 100); /* -0.0 is within [0, 1] */

    /* record_n. */
    CHECK_OK(ap_histogram_record_n(h, 50, 4));
    CHECK_U64(count_of(h), 6);
    CHECK_U64(sum_of(h), 600);
    CHECK_U64(min_of(h), 50);
    CHECK_OK(ap_histogram_record_n(h, 1, 0)); /* n = 0 records nothing */
    CHECK_U64(count_of(h), 6);
    CHECK_U64(min_of(h), 50);

    /* record_many. */
    const uint64_t values[] = {1000, 2000, 3000, 7};
    CHECK_OK(ap_histogram_record_many(h, values, 4));
    CHECK_U64(count_of(h), 10);
    CHECK_U64(sum_of(h), 6607);
    CHECK_U64(min_of(h), 7);
    CHECK_U64(max_of(h), 3000);
    CHECK_NEAR(mean_of(h), 660.7, 1e-9);
    CHECK_OK(ap_histogram_record_many(h, values, 1)); /* only len values */
    CHECK_U64(count_of(h), 11);
    CHECK_OK(ap_histogram_record_many(h, NULL, 0));
    CHECK_OK(ap_histogram_record_many(h, values, 0));
    CHECK_U64(count_of(h), 11);

    /* Zero is a value. */
    CHECK_OK(ap_histogram_record(h, 0));
    CHECK_U64(min_of(h), 0);
    CHECK_U64(quantile_of(h, 0.0), 0);
    ap_histogram_free(h);

    /* Sum wraps at 2^64 (record_n multiplies). */
    REQUIRE_OK(ap_histogram_new_with_precision(2, UINT64_MAX, &h));
    CHECK_OK(ap_histogram_record_n(h, UINT64_C(1) << 63, 2));
    CHECK_U64(count_of(h), 2);
    CHECK_U64(sum_of(h), 0);
    ap_histogram_free(h);
}

/* Relative error of `got` against `want` (0 for an exact match). */
static double rel_err(uint64_t got, uint64_t want) {
    if (want == 0) {
        return got == 0 ? 0.0 : 1.0;
    }
    return fabs((double)got - (double)want) / (double)want;
}

static void test_quantile_accuracy(void) {
    /* 1..N recorded once each: the value of rank r is r, and rank = max(1, ceil(q * N)). */
    enum { N = 100000 };
    ap_histogram *h = NULL;
    REQUIRE_OK(ap_histogram_new(&h)); /* 2 significant figures */
    uint64_t *values = malloc(N * sizeof *values);
    REQUIRE(values != NULL);
    for (uint64_t i = 0; i < N; i++) {
        values[i] = N - i; /* descending: order does not matter */
    }
    CHECK_OK(ap_histogram_record_many(h, values, N));
    free(values);
    CHECK_U64(count_of(h), N);
    CHECK_U64(sum_of(h), (uint64_t)N * (N + 1) / 2);
    CHECK_F64(mean_of(h), (N + 1) / 2.0);

    double worst = 0.0;
    for (int i = 0; i <= 1000; i++) {
        double q = i / 1000.0;
        uint64_t rank = (uint64_t)ceil(q * N);
        if (rank < 1) {
            rank = 1;
        }
        uint64_t got = quantile_of(h, q);
        double e = rel_err(got, rank);
        if (e > worst) {
            worst = e;
        }
        if (e > 0.01) {
            fprintf(stderr, "    q=%g: got %" PRIu64 ", want %" PRIu64 " (error %.4f%%)\n", q, got,
                    rank, e * 100);
        }
    }
    CHECK(worst <= 0.01);
    ap_histogram_free(h);

    /* Log-spread values from 1 ns to 50 s: each alone, the median is the value itself. */
    REQUIRE_OK(ap_histogram_new(&h));
    for (double v = 1.0; v < 5e10; v *= 1.37) {
        uint64_t x = (uint64_t)v;
        CHECK_OK(ap_histogram_reset(h));
        CHECK_OK(ap_histogram_record_n(h, x, 3));
        uint64_t got = quantile_of(h, 0.5);
        if (rel_err(got, x) > 0.01) {
            fprintf(stderr, "    value %" PRIu64 ": median %" PRIu64 "\n", x, got);
        }
        CHECK(rel_err(got, x) <= 0.01);
    }
    /* A spread around a large value: mid quantiles are within 1%. */
    CHECK_OK(ap_histogram_reset(h));
    for (uint64_t v = 1000000; v < 2000000; v += 997) {
        CHECK_OK(ap_histogram_record(h, v));
    }
    uint64_t n = count_of(h);
    for (int i = 1; i < 100; i++) {
        double q = i / 100.0;
        uint64_t rank = (uint64_t)ceil(q * (double)n);
        uint64_t want = 1000000 + (rank - 1) * 997;
        CHECK(rel_err(quantile_of(h, q), want) <= 0.01);
    }
    ap_histogram_free(h);
}

static void test_quantile_range(void) {
    ap_histogram *h = NULL;
    REQUIRE_OK(ap_histogram_new(&h));
    uint64_t out = SENTINEL;
    /* Out of range on an empty histogram: the range is the error. */
    CHECK_STATUS(ap_histogram_quantile(h, -0.1, &out), AP_ERR_OUT_OF_RANGE);
    CHECK_STATUS(ap_histogram_quantile(h, 1.1, &out), AP_ERR_OUT_OF_RANGE);
    CHECK_STATUS(ap_histogram_quantile(h, NAN, &out), AP_ERR_OUT_OF_RANGE);
    CHECK_U64(out, SENTINEL);

    CHECK_OK(ap_histogram_record(h, 10));
    const double bad[] = {-0.1, 1.1, NAN, -NAN, INFINITY, -INFINITY, 1.0000000000000002, -1e-300};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        out = SENTINEL;
        CHECK_STATUS(ap_histogram_quantile(h, bad[i], &out), AP_ERR_OUT_OF_RANGE);
        CHECK_U64(out, SENTINEL);
        CHECK(strstr(ap_last_error(), "quantile") != NULL);
    }
    /* Boundaries are accepted. */
    CHECK_U64(quantile_of(h, 0.0), 10);
    CHECK_U64(quantile_of(h, 1.0), 10);
    CHECK_U64(quantile_of(h, 5e-324), 10);
    ap_histogram_free(h);
}

static void test_overflow(void) {
    ap_histogram *h = NULL;
    REQUIRE_OK(ap_histogram_new_with_precision(2, 1000, &h));
    CHECK_OK(ap_histogram_record(h, 1000)); /* the highest value itself does not overflow */
    CHECK_U64(overflow_of(h), 0);
    CHECK_OK(ap_histogram_record(h, 5000));
    CHECK_U64(overflow_of(h), 1);
    CHECK_U64(max_of(h), 1000); /* clamped */
    CHECK_U64(count_of(h), 2);  /* never dropped */
    CHECK_U64(sum_of(h), 2000); /* sum of the clamped values */
    CHECK_OK(ap_histogram_record_n(h, UINT64_MAX, 3));
    CHECK_U64(overflow_of(h), 4);
    CHECK_U64(count_of(h), 5);
    CHECK_U64(sum_of(h), 5000);
    const uint64_t vals[] = {1001, 1, 999999};
    CHECK_OK(ap_histogram_record_many(h, vals, 3));
    CHECK_U64(overflow_of(h), 6);
    CHECK_U64(count_of(h), 8);
    CHECK_U64(min_of(h), 1);
    CHECK_U64(max_of(h), 1000);
    CHECK_U64(quantile_of(h, 1.0), 1000);
    CHECK(rel_err(quantile_of(h, 0.5), 1000) <= 0.01);
    ap_histogram_free(h);

    /* The default range is 60 s in ns. */
    REQUIRE_OK(ap_histogram_new(&h));
    CHECK_OK(ap_histogram_record(h, UINT64_C(60000000000)));
    CHECK_U64(overflow_of(h), 0);
    CHECK_OK(ap_histogram_record(h, UINT64_C(60000000001)));
    CHECK_U64(overflow_of(h), 1);
    CHECK_U64(max_of(h), UINT64_C(60000000000));
    ap_histogram_free(h);
}

static void test_merge(void) {
    ap_histogram *a = NULL, *b = NULL;
    REQUIRE_OK(ap_histogram_new(&a));
    REQUIRE_OK(ap_histogram_new(&b));
    CHECK_OK(ap_histogram_record(a, 10));
    CHECK_OK(ap_histogram_record(a, 20));
    CHECK_OK(ap_histogram_record_n(b, 5, 2));
    CHECK_OK(ap_histogram_record(b, 1000));
    CHECK_OK(ap_histogram_record(b, UINT64_C(70000000000))); /* overflow in b */

    CHECK_OK(ap_histogram_merge(a, b));
    CHECK_U64(count_of(a), 6);
    CHECK_U64(sum_of(a), 10 + 20 + 5 + 5 + 1000 + UINT64_C(60000000000));
    CHECK_U64(min_of(a), 5);
    CHECK_U64(max_of(a), UINT64_C(60000000000));
    CHECK_U64(overflow_of(a), 1);
    CHECK(rel_err(quantile_of(a, 0.5), 10) <= 0.01);
    /* src unchanged. */
    CHECK_U64(count_of(b), 4);
    CHECK_U64(sum_of(b), 5 + 5 + 1000 + UINT64_C(60000000000));
    CHECK_U64(min_of(b), 5);
    CHECK_U64(overflow_of(b), 1);

    /* Merging an empty histogram changes nothing; merging into an empty one copies. */
    ap_histogram *e = NULL;
    REQUIRE_OK(ap_histogram_new(&e));
    CHECK_OK(ap_histogram_merge(a, e));
    CHECK_U64(count_of(a), 6);
    CHECK_U64(min_of(a), 5);
    check_empty(e);
    CHECK_OK(ap_histogram_merge(e, b));
    CHECK_U64(count_of(e), 4);
    CHECK_U64(min_of(e), 5);
    CHECK_U64(max_of(e), UINT64_C(60000000000));
    ap_histogram_free(e);

    /* Self-merge (dst == src, also through a clone) doubles everything. */
    CHECK_OK(ap_histogram_merge(b, b));
    CHECK_U64(count_of(b), 8);
    CHECK_U64(overflow_of(b), 2);
    ap_histogram *b2 = ap_histogram_clone(b);
    CHECK_OK(ap_histogram_merge(b2, b));
    CHECK_U64(count_of(b), 16);
    ap_histogram_free(b2);

    /* Different layouts: values re-bucketed, count and min exact. */
    ap_histogram *fine = NULL;
    REQUIRE_OK(ap_histogram_new_with_precision(3, 1000000, &fine));
    ap_histogram *coarse = NULL;
    REQUIRE_OK(ap_histogram_new_with_precision(1, 1000000, &coarse));
    CHECK_OK(ap_histogram_record_n(fine, 500000, 10));
    CHECK_OK(ap_histogram_record(fine, 3));
    CHECK_OK(ap_histogram_merge(coarse, fine));
    CHECK_U64(count_of(coarse), 11);
    CHECK_U64(min_of(coarse), 3);
    CHECK_U64(max_of(coarse), 500000);
    CHECK_U64(sum_of(coarse), 5000003);
    CHECK(rel_err(quantile_of(coarse, 0.5), 500000) <= 0.07); /* 1 figure: 6.25% */
    CHECK_OK(ap_histogram_merge(fine, coarse));
    CHECK_U64(count_of(fine), 22);
    CHECK(rel_err(quantile_of(fine, 0.5), 500000) <= 0.07);
    ap_histogram_free(fine);
    ap_histogram_free(coarse);

    /* Into a smaller range: values above it are clamped and counted as overflow, once each. */
    ap_histogram *small = NULL;
    REQUIRE_OK(ap_histogram_new_with_precision(2, 1000, &small));
    CHECK_OK(ap_histogram_merge(small, a)); /* a: 10, 20, 5, 5, 1000, 60e9 (clamped) */
    CHECK_U64(count_of(small), 6);
    CHECK_U64(min_of(small), 5);
    CHECK_U64(max_of(small), 1000);
    CHECK_U64(quantile_of(small, 1.0), 1000);
    ap_histogram_free(small);

    /* overflow_count after a cross-layout merge, one case at a time:
     * (1) a value above the destination's range counts once; */
    ap_histogram *src = NULL;
    REQUIRE_OK(ap_histogram_new(&src));
    REQUIRE_OK(ap_histogram_new_with_precision(2, 1000, &small));
    CHECK_OK(ap_histogram_record(src, 5000));
    CHECK_OK(ap_histogram_merge(small, src));
    CHECK_U64(overflow_of(small), 1);
    CHECK_U64(max_of(small), 1000);
    ap_histogram_free(small);
    /* (2) a value that already overflowed the source (and is above the destination) counts once; */
    REQUIRE_OK(ap_histogram_new_with_precision(2, 1000, &small));
    CHECK_OK(ap_histogram_reset(src));
    CHECK_OK(ap_histogram_record(src, UINT64_C(70000000000)));
    CHECK_U64(overflow_of(src), 1);
    CHECK_OK(ap_histogram_merge(small, src));
    CHECK_U64(count_of(small), 1);
    CHECK_U64(overflow_of(small), 1);
    ap_histogram_free(small);
    /* (3) a value equal to the destination's highest is not an overflow. */
    REQUIRE_OK(ap_histogram_new_with_precision(2, 1000, &small));
    CHECK_OK(ap_histogram_reset(src));
    CHECK_OK(ap_histogram_record(src, 1000));
    CHECK_OK(ap_histogram_merge(small, src));
    CHECK_U64(count_of(small), 1);
    CHECK_U64(overflow_of(small), 0);
    CHECK_U64(max_of(small), 1000);
    ap_histogram_free(small);
    ap_histogram_free(src);

    ap_histogram_free(a);
    ap_histogram_free(b);
}

static void test_reset(void) {
    ap_histogram *h = NULL;
    REQUIRE_OK(ap_histogram_new_with_precision(2, 100, &h));
    CHECK_OK(ap_histogram_record_n(h, 50, 10));
    CHECK_OK(ap_histogram_record(h, 1000));
    CHECK_U64(overflow_of(h), 1);
    size_t mem = memory_of(h);
    CHECK_OK(ap_histogram_reset(h));
    check_empty(h);
    CHECK_U64(memory_of(h), mem); /* same layout */
    CHECK_OK(ap_histogram_reset(h)); /* reset of an empty histogram */
    check_empty(h);
    /* Usable again, with fresh min/max. */
    CHECK_OK(ap_histogram_record(h, 70));
    CHECK_U64(min_of(h), 70);
    CHECK_U64(max_of(h), 70);
    CHECK_U64(count_of(h), 1);
    CHECK_U64(sum_of(h), 70);
    ap_histogram_free(h);
}

static void test_snapshot(void) {
    ap_histogram *h = NULL, *s = NULL;
    REQUIRE_OK(ap_histogram_new_with_precision(3, 10000, &h));
    CHECK_OK(ap_histogram_record(h, 10));
    CHECK_OK(ap_histogram_record(h, 9000));
    CHECK_OK(ap_histogram_record(h, 20000)); /* overflow */
    REQUIRE_OK(ap_histogram_snapshot(h, &s));
    REQUIRE(s != NULL);
    CHECK(s != h);

    /* Same statistics and layout. */
    CHECK_U64(count_of(s), 3);
    CHECK_U64(sum_of(s), sum_of(h));
    CHECK_U64(min_of(s), 10);
    CHECK_U64(max_of(s), 10000);
    CHECK_U64(overflow_of(s), 1);
    CHECK_U64(quantile_of(s, 0.5), quantile_of(h, 0.5));
    CHECK_U64(memory_of(s), memory_of(h));
    CHECK_OK(ap_histogram_record(s, 50000)); /* same highest: clamped to 10000 */
    CHECK_U64(max_of(s), 10000);
    CHECK_U64(overflow_of(s), 2);

    /* Independent both ways. */
    CHECK_U64(count_of(h), 3);
    CHECK_OK(ap_histogram_record_n(h, 1, 100));
    CHECK_U64(count_of(s), 4);
    CHECK_U64(min_of(s), 10);
    CHECK_OK(ap_histogram_reset(h));
    CHECK_U64(count_of(s), 4);
    CHECK_OK(ap_histogram_reset(s));
    check_empty(s);
    CHECK_OK(ap_histogram_record(h, 5));
    CHECK_U64(count_of(h), 1);

    /* The snapshot outlives its source. */
    ap_histogram *s2 = NULL;
    REQUIRE_OK(ap_histogram_snapshot(h, &s2));
    ap_histogram_free(h);
    CHECK_U64(count_of(s2), 1);
    CHECK_U64(min_of(s2), 5);

    /* Snapshot of an empty histogram is empty; snapshot of a snapshot works. */
    ap_histogram *s3 = NULL;
    REQUIRE_OK(ap_histogram_snapshot(s, &s3));
    check_empty(s3);

    ap_histogram_free(s);
    ap_histogram_free(s2);
    ap_histogram_free(s3);
}

static void test_null_arguments(void) {
    uint64_t u = SENTINEL;
    double d = -1.0;
    size_t z = 77;
    ap_histogram *o = (ap_histogram *)(uintptr_t)0x9abc;
    const uint64_t vals[] = {1, 2};

    /* NULL handle: every function that takes one; out-values untouched. */
    CHECK_STATUS(ap_histogram_record(NULL, 1), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_histogram_record") != NULL);
    CHECK_STATUS(ap_histogram_record_n(NULL, 1, 2), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_record_many(NULL, vals, 2), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_record_many(NULL, NULL, 0), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_record_many(NULL, NULL, 3), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_count(NULL, &u), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_sum(NULL, &u), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_min(NULL, &u), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_max(NULL, &u), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_mean(NULL, &d), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_quantile(NULL, 0.5, &u), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_quantile(NULL, NAN, &u), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_overflow_count(NULL, &u), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_memory_bytes(NULL, &z), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_reset(NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_histogram_snapshot(NULL, &o), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_histogram_snapshot") != NULL);
    CHECK_STATUS(ap_histogram_merge(NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_U64(u, SENTINEL);
    CHECK_F64(d, -1.0);
    CHECK_U64(z, 77);
    CHECK(o == (ap_histogram *)(uintptr_t)0x9abc);

    ap_histogram *h = NULL;
    REQUIRE_OK(ap_histogram_new(&h));
    CHECK_OK(ap_histogram_record(h, 42));
    CHECK_STATUS(ap_histogram_merge(h, NULL), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_histogram_merge") != NULL);
    CHECK_STATUS(ap_histogram_merge(NULL, h), AP_ERR_NULL_HANDLE);
    CHECK_U64(count_of(h), 1); /* a failed merge changes nothing */

    /* NULL out-pointers. */
    CHECK_STATUS(ap_histogram_new(NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_histogram_new") != NULL);
    CHECK_STATUS(ap_histogram_new_with_precision(2, 1000, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_histogram_new_with_precision(0, 1000, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_histogram_count(h, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_histogram_count") != NULL);
    CHECK_STATUS(ap_histogram_sum(h, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_histogram_min(h, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_histogram_max(h, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_histogram_mean(h, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_histogram_quantile(h, 0.5, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_histogram_overflow_count(h, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_histogram_memory_bytes(h, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_histogram_snapshot(h, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_histogram_snapshot") != NULL);

    /* NULL values with len > 0: an error, nothing recorded. NULL with len 0: OK. */
    CHECK_STATUS(ap_histogram_record_many(h, NULL, 1), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_histogram_record_many") != NULL);
    CHECK_STATUS(ap_histogram_record_many(h, NULL, SIZE_MAX), AP_ERR_NULL_POINTER);
    CHECK_OK(ap_histogram_record_many(h, NULL, 0));
    CHECK_U64(count_of(h), 1);

    /* On an empty histogram, a NULL out is still AP_ERR_NULL_POINTER for count/sum/overflow. */
    ap_histogram *e = NULL;
    REQUIRE_OK(ap_histogram_new(&e));
    CHECK_STATUS(ap_histogram_count(e, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_histogram_sum(e, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_histogram_overflow_count(e, NULL), AP_ERR_NULL_POINTER);
    /* ...and min/max/mean/quantile report an error (which one wins is not documented). */
    CHECK(ap_histogram_min(e, NULL) != AP_OK);
    CHECK(ap_histogram_max(e, NULL) != AP_OK);
    CHECK(ap_histogram_mean(e, NULL) != AP_OK);
    CHECK(ap_histogram_quantile(e, 0.5, NULL) != AP_OK);
    CHECK(ap_histogram_quantile(h, NAN, NULL) != AP_OK);
    ap_histogram_free(e);
    ap_histogram_free(h);
}

static void test_refcount(void) {
    ap_histogram_free(NULL);
    CHECK(ap_histogram_clone(NULL) == NULL);

    /* Free the original first. */
    ap_histogram *a = NULL;
    REQUIRE_OK(ap_histogram_new(&a));
    ap_histogram *b = ap_histogram_clone(a);
    REQUIRE(b != NULL);
    CHECK_OK(ap_histogram_record(a, 1));
    CHECK_OK(ap_histogram_record(b, 2));
    CHECK_U64(count_of(a), 2);
    ap_histogram_free(a);
    CHECK_OK(ap_histogram_record(b, 3));
    CHECK_U64(count_of(b), 3);
    CHECK_U64(sum_of(b), 6);
    ap_histogram_free(b);

    /* Free the clone first; a snapshot is its own object with its own count. */
    REQUIRE_OK(ap_histogram_new_with_precision(1, 100, &a));
    b = ap_histogram_clone(a);
    REQUIRE(b != NULL);
    ap_histogram *s = NULL;
    REQUIRE_OK(ap_histogram_snapshot(b, &s));
    ap_histogram *s2 = ap_histogram_clone(s);
    CHECK_OK(ap_histogram_record(b, 5));
    ap_histogram_free(b);
    CHECK_OK(ap_histogram_record(a, 6));
    CHECK_U64(count_of(a), 2);
    ap_histogram_free(a);
    CHECK_U64(count_of(s2), 0);
    ap_histogram_free(s);
    CHECK_OK(ap_histogram_record(s2, 7));
    CHECK_U64(count_of(s2), 1);
    ap_histogram_free(s2);
}

int main(void) {
    test_new_and_empty();
    test_bad_layouts();
    test_record_and_stats();
    test_quantile_accuracy();
    test_quantile_range();
    test_overflow();
    test_merge();
    test_reset();
    test_snapshot();
    test_null_arguments();
    test_refcount();
    return check_done();
}
