/* ap_summary_*: quantiles of known data within the precision, a short window that empties,
 * every documented error, and the registry's exports. */
#include <math.h>
#include <time.h>

#include "check.h"

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void test_quantiles(void) {
    ap_summary *s = NULL;
    REQUIRE_OK(ap_summary_new(NULL, &s));
    uint64_t v = 0;
    CHECK_STATUS(ap_summary_quantile(s, 0.5, &v), AP_ERR_EMPTY);
    for (uint64_t i = 1; i <= 1000; i++) CHECK_OK(ap_summary_record(s, i * 1000));
    CHECK_OK(ap_summary_quantile(s, 0.5, &v));
    CHECK_NEAR((double)v, 500000.0, 500000.0 * 0.0079);
    CHECK_OK(ap_summary_quantile(s, 0.99, &v));
    CHECK_NEAR((double)v, 990000.0, 990000.0 * 0.0079);
    CHECK_OK(ap_summary_quantile(s, 1.0, &v));
    CHECK_U64(v, 1000000);
    uint64_t n = 0;
    CHECK_OK(ap_summary_count(s, &n));
    CHECK_U64(n, 1000);
    CHECK_OK(ap_summary_window_count(s, &n));
    CHECK_U64(n, 1000);
    CHECK_OK(ap_summary_sum(s, &n));
    CHECK_U64(n, 1000 * 1000 * 1001 / 2);
    CHECK_STATUS(ap_summary_quantile(s, 1.5, &v), AP_ERR_OUT_OF_RANGE);
    CHECK_STATUS(ap_summary_quantile(s, NAN, &v), AP_ERR_OUT_OF_RANGE);
    CHECK_STATUS(ap_summary_quantile(s, 0.5, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_summary_quantile(NULL, 0.5, &v), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_summary_record(NULL, 1), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_summary_count(NULL, &n), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_summary_sum(s, NULL), AP_ERR_NULL_POINTER);
    ap_summary *c = ap_summary_clone(s);
    CHECK(c != NULL);
    CHECK(ap_summary_clone(NULL) == NULL);
    ap_summary_free(c);
    ap_summary_free(s);
    ap_summary_free(NULL);
}

static void test_window(void) {
    ap_summary_options o;
    REQUIRE_OK(ap_summary_options_default(&o));
    CHECK_U64(o.n_quantiles, 3);
    CHECK_F64(o.quantiles[2], 0.99);
    CHECK_U64(o.max_age_ns, 600000000000ull);
    CHECK_U64(o.age_buckets, 5);
    /* 600 ms in 2 steps of 300 ms: a record is still in the window right after it even on a
     * loaded machine (a thread descheduled for a whole step between the two calls would not). */
    o.max_age_ns = 600000000;
    o.age_buckets = 2;
    ap_summary *s = NULL;
    REQUIRE_OK(ap_summary_new(&o, &s));
    CHECK_OK(ap_summary_record(s, 7));
    uint64_t v = 0;
    CHECK_OK(ap_summary_quantile(s, 0.5, &v));
    CHECK_U64(v, 7);
    sleep_ms(1500); /* far past max_age, whatever the coarse clock's resolution */
    CHECK_STATUS(ap_summary_quantile(s, 0.5, &v), AP_ERR_EMPTY);
    uint64_t n = 9;
    CHECK_OK(ap_summary_window_count(s, &n));
    CHECK_U64(n, 0);
    CHECK_OK(ap_summary_count(s, &n));
    CHECK_U64(n, 1); /* count and sum are over all time */
    CHECK_OK(ap_summary_record(s, 9));
    CHECK_OK(ap_summary_quantile(s, 0.5, &v));
    CHECK_U64(v, 9);
    ap_summary_free(s);
}

static void test_bad_options(void) {
    ap_summary_options o;
    ap_summary *s = NULL;
    const double out_of_range[] = {0.5, 1.5}, twice[] = {0.9, 0.9};
    REQUIRE_OK(ap_summary_options_default(&o));
    o.quantiles = out_of_range;
    o.n_quantiles = 2;
    CHECK_STATUS(ap_summary_new(&o, &s), AP_ERR_OUT_OF_RANGE);
    CHECK(strstr(ap_last_error(), "within [0, 1]") != NULL);
    o.quantiles = twice;
    CHECK_STATUS(ap_summary_new(&o, &s), AP_ERR_OUT_OF_RANGE);
    CHECK(strstr(ap_last_error(), "twice") != NULL);
    o.quantiles = NULL;
    CHECK_STATUS(ap_summary_new(&o, &s), AP_ERR_NULL_POINTER);
    o.n_quantiles = 0; /* no quantiles: count and sum only */
    REQUIRE_OK(ap_summary_new(&o, &s));
    ap_summary_free(s);
    REQUIRE_OK(ap_summary_options_default(&o));
    o.age_buckets = 0;
    CHECK_STATUS(ap_summary_new(&o, &s), AP_ERR_OUT_OF_RANGE);
    CHECK(strstr(ap_last_error(), "age buckets") != NULL);
    o.age_buckets = 256;
    CHECK_STATUS(ap_summary_new(&o, &s), AP_ERR_OUT_OF_RANGE);
    REQUIRE_OK(ap_summary_options_default(&o));
    o.max_age_ns = 999999;
    o.age_buckets = 1;
    CHECK_STATUS(ap_summary_new(&o, &s), AP_ERR_OUT_OF_RANGE);
    CHECK(strstr(ap_last_error(), "at least 1 ms") != NULL);
    REQUIRE_OK(ap_summary_options_default(&o));
    o.significant_figures = 6;
    CHECK_STATUS(ap_summary_new(&o, &s), AP_ERR_OUT_OF_RANGE);
    REQUIRE_OK(ap_summary_options_default(&o));
    o.highest = 1;
    CHECK_STATUS(ap_summary_new(&o, &s), AP_ERR_OUT_OF_RANGE);
    CHECK_STATUS(ap_summary_new(NULL, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_summary_options_default(NULL), AP_ERR_NULL_POINTER);
}

static void test_registry(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    const char *names[] = {"method"}, *values[] = {"get"};
    ap_summary_options o;
    REQUIRE_OK(ap_summary_options_default(&o));
    const double qs[] = {0.9, 0.5};
    o.quantiles = qs;
    o.n_quantiles = 2;
    ap_summary *s = NULL, *again = NULL;
    REQUIRE_OK(ap_registry_summary(r, "rpc_seconds", "RPC latency.", names, values, 1, &o, &s));
    for (uint64_t ms = 1; ms <= 100; ms++) CHECK_OK(ap_summary_record(s, ms * 1000000));
    REQUIRE_OK(ap_registry_summary(r, "rpc_seconds", "", names, values, 1, NULL, &again));
    uint64_t n = 0;
    CHECK_OK(ap_summary_count(again, &n));
    CHECK_U64(n, 100);
    char *text = exported_text(r, AP_FORMAT_PROMETHEUS);
    CHECK(strstr(text, "# TYPE rpc_seconds summary\n") != NULL);
    CHECK(strstr(text, "rpc_seconds{method=\"get\",quantile=\"0.5\"} 0.05") != NULL);
    CHECK(strstr(text, "rpc_seconds{method=\"get\",quantile=\"0.9\"} 0.0") != NULL);
    CHECK(strstr(text, "rpc_seconds_sum{method=\"get\"} 5.05\nrpc_seconds_count{method=\"get\"} 100\n") != NULL);
    free(text);
    text = exported_text(r, AP_FORMAT_OPENMETRICS);
    CHECK(strstr(text, "# TYPE rpc_seconds summary\n") != NULL);
    free(text);
    text = exported_text(r, AP_FORMAT_JSON);
    CHECK(strstr(text, "\"kind\":\"summary\"") != NULL);
    CHECK(strstr(text, "\"count\":100,\"sum\":5.05,\"quantiles\":[{\"quantile\":0.5,") != NULL);
    free(text);

    ap_summary *bad = NULL;
    const char *reserved[] = {"quantile"};
    CHECK_STATUS(ap_registry_summary(r, "q", "", reserved, values, 1, NULL, &bad), AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "quantile") != NULL);
    ap_gauge *g = NULL;
    CHECK_STATUS(ap_registry_gauge(r, "rpc_seconds_count", "", NULL, NULL, 0, &g), AP_ERR_INVALID_ARGUMENT);
    o.age_buckets = 0;
    CHECK_STATUS(ap_registry_summary(r, "never", "", NULL, NULL, 0, &o, &bad), AP_ERR_OUT_OF_RANGE);
    REQUIRE_OK(ap_summary_options_default(&o));
    o.scale = -1;
    CHECK_STATUS(ap_registry_summary(r, "never", "", NULL, NULL, 0, &o, &bad), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_registry_summary(NULL, "x", "", NULL, NULL, 0, NULL, &bad), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_registry_summary(r, NULL, "", NULL, NULL, 0, NULL, &bad), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_summary(r, "x", "", NULL, NULL, 0, NULL, NULL), AP_ERR_NULL_POINTER);
    CHECK(bad == NULL);
    ap_summary_free(again);
    ap_summary_free(s);
    ap_registry_free(r);
}

int main(void) {
    test_quantiles();
    test_window();
    test_bad_options();
    test_registry();
    return check_done();
}
