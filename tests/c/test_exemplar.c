/* ap_counter_add_with_exemplar and ap_histogram_record_with_exemplar: exported in OpenMetrics
 * only, the 128-character limit, and every documented error (nothing recorded on error). */
#include <math.h>

#include "check.h"

int main(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    ap_counter *c = NULL;
    REQUIRE_OK(ap_registry_counter(r, "jobs", "Jobs.", NULL, NULL, 0, &c));
    const char *names[] = {"trace_id"}, *values[] = {"abc"};
    CHECK_OK(ap_counter_add_with_exemplar(c, 2, names, values, 1, 1700000000.5));
    char longv[200];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = 0;
    const char *too_long[] = {longv};
    CHECK_STATUS(ap_counter_add_with_exemplar(c, 5, names, too_long, 1, NAN), AP_ERR_INVALID_ARGUMENT);
    const char *bad[] = {"1x"};
    CHECK_STATUS(ap_counter_add_with_exemplar(c, 5, bad, values, 1, NAN), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_counter_add_with_exemplar(c, 5, names, values, 1, INFINITY), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_counter_add_with_exemplar(c, 5, NULL, values, 1, NAN), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_counter_add_with_exemplar(NULL, 5, names, values, 1, NAN), AP_ERR_NULL_HANDLE);
    uint64_t v = 0;
    CHECK_OK(ap_counter_get(c, &v));
    CHECK_U64(v, 2); /* refused exemplars added nothing */

    ap_histogram *h = NULL;
    const double bounds[] = {0.01, 0.1};
    REQUIRE_OK(ap_registry_histogram(r, "latency_seconds", "Latency.", NULL, NULL, 0, bounds, 2, 1e-9, &h));
    const char *two_names[] = {"trace_id", "span_id"}, *two_values[] = {"t1", "s1"};
    CHECK_OK(ap_histogram_record_with_exemplar(h, 50000000, two_names, two_values, 2, NAN));
    CHECK_STATUS(ap_histogram_record_with_exemplar(h, 1, bad, values, 1, NAN), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_histogram_record_with_exemplar(NULL, 1, names, values, 1, NAN), AP_ERR_NULL_HANDLE);
    uint64_t count = 0;
    CHECK_OK(ap_histogram_count(h, &count));
    CHECK_U64(count, 1);

    char *om = exported_text(r, AP_FORMAT_OPENMETRICS);
    CHECK(strstr(om, "jobs_total 2 # {trace_id=\"abc\"} 2 1700000000.5\n") != NULL);
    CHECK(strstr(om, "latency_seconds_bucket{le=\"0.1\"} 1 # {span_id=\"s1\",trace_id=\"t1\"} 0.05\n") != NULL);
    free(om);
    char *text = exported_text(r, AP_FORMAT_PROMETHEUS);
    CHECK(strstr(text, " # {") == NULL);
    free(text);
    ap_counter_free(c);
    ap_histogram_free(h);
    ap_registry_free(r);
    return check_done();
}
