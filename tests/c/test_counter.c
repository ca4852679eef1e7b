/* ap_counter_*: every function, every documented error, values and reference counting.
 * Also built as test_counter_static, linked against libatomicperf.a. */
#include "check.h"

static uint64_t get(const ap_counter *c) {
    uint64_t v = UINT64_C(0xDEADBEEF);
    CHECK_OK(ap_counter_get(c, &v));
    return v;
}

static void test_new_and_values(void) {
    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    REQUIRE(c != NULL);
    CHECK_U64(get(c), 0);

    CHECK_OK(ap_counter_inc(c));
    CHECK_U64(get(c), 1);
    CHECK_OK(ap_counter_add(c, 41));
    CHECK_U64(get(c), 42);
    CHECK_OK(ap_counter_add(c, 0));
    CHECK_U64(get(c), 42);

    const uint64_t values[] = {1, 2, 3, 4, 1000};
    CHECK_OK(ap_counter_add_many(c, values, 5));
    CHECK_U64(get(c), 42 + 1010);
    CHECK_OK(ap_counter_add_many(c, values, 2)); /* only the first len values */
    CHECK_U64(get(c), 1052 + 3);

    /* NULL values with len 0 is fine and adds nothing; so is a real pointer with len 0. */
    CHECK_OK(ap_counter_add_many(c, NULL, 0));
    CHECK_OK(ap_counter_add_many(c, values, 0));
    CHECK_U64(get(c), 1055);

    /* The total wraps at 2^64. */
    CHECK_OK(ap_counter_add(c, UINT64_MAX));
    CHECK_U64(get(c), 1054);
    const uint64_t big[] = {UINT64_MAX, 2};
    CHECK_OK(ap_counter_add_many(c, big, 2));
    CHECK_U64(get(c), 1055);

    ap_counter_free(c);
}

static void test_stripes(void) {
    /* Every power of two from 1 to 1024 is accepted. */
    for (size_t s = 1; s <= 1024; s *= 2) {
        ap_counter *c = NULL;
        CHECK_OK(ap_counter_new_with_stripes(s, &c));
        REQUIRE(c != NULL);
        for (int i = 0; i < 100; i++) {
            CHECK_OK(ap_counter_inc(c));
        }
        CHECK_OK(ap_counter_add(c, 900));
        CHECK_U64(get(c), 1000);
        ap_counter_free(c);
    }

    /* Anything else is AP_ERR_OUT_OF_RANGE and leaves *out untouched. */
    const size_t bad[] = {0, 3, 6, 1000, 1023, 1025, 2048, SIZE_MAX, (SIZE_MAX >> 1) + 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ap_counter *sentinel = (ap_counter *)(uintptr_t)0x1234;
        ap_counter *c = sentinel;
        CHECK_STATUS(ap_counter_new_with_stripes(bad[i], &c), AP_ERR_OUT_OF_RANGE);
        CHECK(c == sentinel);
        CHECK(strlen(ap_last_error()) > 0);
    }
}

static void test_null_arguments(void) {
    uint64_t v = 7;
    const uint64_t values[] = {1, 2};

    /* NULL handle: every function that takes one. */
    CHECK_STATUS(ap_counter_inc(NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_counter_add(NULL, 1), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_counter_add_many(NULL, values, 2), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_counter_add_many(NULL, NULL, 0), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_counter_get(NULL, &v), AP_ERR_NULL_HANDLE);
    CHECK_U64(v, 7);
    CHECK(strstr(ap_last_error(), "ap_counter_get") != NULL);

    /* NULL out-pointers. */
    CHECK_STATUS(ap_counter_new(NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_counter_new_with_stripes(4, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_counter_new_with_stripes(3, NULL), AP_ERR_NULL_POINTER); /* out checked first */

    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    CHECK_STATUS(ap_counter_get(c, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_counter_get") != NULL);

    /* NULL values with len > 0: an error, and nothing is added. */
    CHECK_STATUS(ap_counter_add_many(c, NULL, 1), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_counter_add_many(c, NULL, SIZE_MAX), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_counter_add_many") != NULL);
    CHECK_U64(get(c), 0);

    /* Both NULL: the handle is reported. */
    CHECK_STATUS(ap_counter_get(NULL, NULL), AP_ERR_NULL_HANDLE);
    ap_counter_free(c);
}

static void test_refcount(void) {
    /* free(NULL) and clone(NULL). */
    ap_counter_free(NULL);
    CHECK(ap_counter_clone(NULL) == NULL);

    /* Clone, free the original first: the clone stays usable. */
    ap_counter *a = NULL;
    REQUIRE_OK(ap_counter_new(&a));
    ap_counter *b = ap_counter_clone(a);
    REQUIRE(b != NULL);
    CHECK(b == a); /* same object (not required, but a copy would break sharing) */
    CHECK_OK(ap_counter_add(a, 5));
    CHECK_OK(ap_counter_add(b, 6));
    CHECK_U64(get(a), 11);
    ap_counter_free(a);
    CHECK_OK(ap_counter_inc(b));
    CHECK_U64(get(b), 12);
    ap_counter_free(b);

    /* Clone, free the clone first. */
    REQUIRE_OK(ap_counter_new_with_stripes(2, &a));
    b = ap_counter_clone(a);
    REQUIRE(b != NULL);
    CHECK_OK(ap_counter_inc(b));
    ap_counter_free(b);
    CHECK_OK(ap_counter_inc(a));
    CHECK_U64(get(a), 2);
    ap_counter_free(a);

    /* Many owners, released in a mixed order; the last free releases the memory (ASan). */
    enum { N = 16 };
    ap_counter *owners[N];
    REQUIRE_OK(ap_counter_new(&owners[0]));
    for (int i = 1; i < N; i++) {
        owners[i] = ap_counter_clone(owners[i - 1]);
        REQUIRE(owners[i] != NULL);
    }
    for (int i = 0; i < N; i += 2) {
        CHECK_OK(ap_counter_inc(owners[i]));
        ap_counter_free(owners[i]);
    }
    for (int i = N - 1; i > 1; i -= 2) {
        CHECK_OK(ap_counter_inc(owners[i]));
        ap_counter_free(owners[i]);
    }
    CHECK_U64(get(owners[1]), N - 1);
    ap_counter_free(owners[1]);
}

int main(void) {
    test_new_and_values();
    test_stripes();
    test_null_arguments();
    test_refcount();
    return check_done();
}
