/* ap_gauge_*: every function, every documented error, values and reference counting. */
#include "check.h"

static double get(const ap_gauge *g) {
    double v = -12345.0;
    CHECK_OK(ap_gauge_get(g, &v));
    return v;
}

static void test_values(void) {
    ap_gauge *g = NULL;
    REQUIRE_OK(ap_gauge_new(2.5, &g));
    REQUIRE(g != NULL);
    CHECK_F64(get(g), 2.5);

    CHECK_OK(ap_gauge_set(g, -7.25));
    CHECK_F64(get(g), -7.25);
    CHECK_OK(ap_gauge_add(g, 10.0));
    CHECK_F64(get(g), 2.75);
    CHECK_OK(ap_gauge_add(g, -0.75)); /* add accepts negatives */
    CHECK_F64(get(g), 2.0);
    CHECK_OK(ap_gauge_sub(g, 0.5));
    CHECK_F64(get(g), 1.5);
    CHECK_OK(ap_gauge_sub(g, -1.5)); /* subtracting a negative adds */
    CHECK_F64(get(g), 3.0);
    CHECK_OK(ap_gauge_inc(g));
    CHECK_F64(get(g), 4.0);
    CHECK_OK(ap_gauge_dec(g));
    CHECK_OK(ap_gauge_dec(g));
    CHECK_F64(get(g), 2.0);

    /* High-water mark: raises only. */
    CHECK_OK(ap_gauge_set_max(g, 1.0));
    CHECK_F64(get(g), 2.0);
    CHECK_OK(ap_gauge_set_max(g, 9.5));
    CHECK_F64(get(g), 9.5);
    CHECK_OK(ap_gauge_set_max(g, 9.5));
    CHECK_F64(get(g), 9.5);
    /* Low-water mark: lowers only. */
    CHECK_OK(ap_gauge_set_min(g, 20.0));
    CHECK_F64(get(g), 9.5);
    CHECK_OK(ap_gauge_set_min(g, -3.0));
    CHECK_F64(get(g), -3.0);

    /* Exact doubles round-trip bit for bit, including extremes and -0.0. */
    const double exact[] = {0.1, -0.0, 1e308, -1e-308, 4.9406564584124654e-324, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        CHECK_OK(ap_gauge_set(g, exact[i]));
        double v = get(g);
        CHECK(memcmp(&v, &exact[i], sizeof v) == 0);
    }

    /* NaN is stored and read back as NaN (a gauge is a plain value, not validated). */
    CHECK_OK(ap_gauge_set(g, NAN));
    CHECK(isnan(get(g)));
    /* set_max / set_min on NaN take the number (fmax semantics). */
    CHECK_OK(ap_gauge_set_max(g, 1.0));
    CHECK_F64(get(g), 1.0);
    CHECK_OK(ap_gauge_set_max(g, NAN)); /* NaN never wins */
    CHECK_F64(get(g), 1.0);
    CHECK_OK(ap_gauge_set_min(g, NAN));
    CHECK_F64(get(g), 1.0);
    ap_gauge_free(g);

    /* new with a NaN / infinite / zero initial value. */
    REQUIRE_OK(ap_gauge_new(NAN, &g));
    CHECK(isnan(get(g)));
    ap_gauge_free(g);
    REQUIRE_OK(ap_gauge_new(-INFINITY, &g));
    CHECK(isinf(get(g)) && get(g) < 0);
    ap_gauge_free(g);
    REQUIRE_OK(ap_gauge_new(0.0, &g));
    CHECK_F64(get(g), 0.0);
    ap_gauge_free(g);
}

static void test_null_arguments(void) {
    double v = 3.0;
    /* NULL handle: every function that takes one. */
    CHECK_STATUS(ap_gauge_set(NULL, 1.0), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_gauge_set") != NULL);
    CHECK_STATUS(ap_gauge_get(NULL, &v), AP_ERR_NULL_HANDLE);
    CHECK_F64(v, 3.0);
    CHECK_STATUS(ap_gauge_add(NULL, 1.0), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_gauge_sub(NULL, 1.0), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_gauge_inc(NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_gauge_dec(NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_gauge_set_max(NULL, 1.0), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_gauge_set_min(NULL, 1.0), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_gauge_set_min") != NULL);
    CHECK_STATUS(ap_gauge_get(NULL, NULL), AP_ERR_NULL_HANDLE);

    /* NULL out-pointers (new must not allocate, or must release, when out is NULL). */
    CHECK_STATUS(ap_gauge_new(1.0, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_gauge_new") != NULL);
    ap_gauge *g = NULL;
    REQUIRE_OK(ap_gauge_new(1.0, &g));
    CHECK_STATUS(ap_gauge_get(g, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_gauge_get") != NULL);
    CHECK_F64(get(g), 1.0);
    ap_gauge_free(g);
}

static void test_refcount(void) {
    ap_gauge_free(NULL);
    CHECK(ap_gauge_clone(NULL) == NULL);

    /* Free the original first. */
    ap_gauge *a = NULL;
    REQUIRE_OK(ap_gauge_new(0.0, &a));
    ap_gauge *b = ap_gauge_clone(a);
    REQUIRE(b != NULL);
    CHECK_OK(ap_gauge_set(a, 5.0));
    CHECK_F64(get(b), 5.0); /* shared, not copied */
    ap_gauge_free(a);
    CHECK_OK(ap_gauge_inc(b));
    CHECK_F64(get(b), 6.0);
    ap_gauge_free(b);

    /* Free the clone first. */
    REQUIRE_OK(ap_gauge_new(1.0, &a));
    b = ap_gauge_clone(a);
    REQUIRE(b != NULL);
    ap_gauge *c = ap_gauge_clone(b); /* clone of a clone */
    REQUIRE(c != NULL);
    CHECK_OK(ap_gauge_add(b, 1.0));
    ap_gauge_free(b);
    CHECK_OK(ap_gauge_add(c, 1.0));
    ap_gauge_free(c);
    CHECK_F64(get(a), 3.0);
    ap_gauge_free(a);
}

int main(void) {
    test_values();
    test_null_arguments();
    test_refcount();
    return check_done();
}
