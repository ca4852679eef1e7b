/* ap_counter_add_with_exemplar and ap_histogram_record_with_exemplar: exported in OpenMetrics
 * only, the 128-character limit, and every documented error (nothing recorded on error). Then
 * their _packed forms (labels as one name\0value\0... buffer): the same, bad buffers, and a bad
 * label set right after a good one with other names (the library remembers the last names it
 * checked). */
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

    /* The packed forms; sizeof - 1: the string literal's own terminating NUL is not part. */
    static const char two[] = "trace_id\0t2\0span_id\0s2\0";
    CHECK_OK(ap_counter_add_with_exemplar_packed(c, 3, two, sizeof two - 1, NAN));
    static const char swapped[] = "span_id\0s3\0trace_id\0t3\0";
    CHECK_OK(ap_counter_add_with_exemplar_packed(c, 1, swapped, sizeof swapped - 1, 1700000001.25));
    CHECK_OK(ap_counter_add_with_exemplar_packed(c, 1, NULL, 0, NAN)); /* no labels */
    static const char twice[] = "trace_id\0t\0trace_id\0u\0";
    static const char badname[] = "trace_id\0t\01span\0u\0";
    static const char odd[] = "trace_id\0t\0span_id\0";
    static const char unterminated[] = "trace_id\0t";
    static const char not_utf8[] = "trace_id\0\xff\0";
    char long_packed[300];
    memcpy(long_packed, "trace_id\0", 9);
    memset(long_packed + 9, 'x', 200);
    long_packed[209] = 0;
    CHECK_STATUS(ap_counter_add_with_exemplar_packed(c, 5, two, sizeof two - 1, NAN), AP_OK);
    CHECK_STATUS(ap_counter_add_with_exemplar_packed(c, 5, twice, sizeof twice - 1, NAN), AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "given twice") != NULL);
    CHECK_STATUS(ap_counter_add_with_exemplar_packed(c, 5, badname, sizeof badname - 1, NAN), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_counter_add_with_exemplar_packed(c, 5, odd, sizeof odd - 1, NAN), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_counter_add_with_exemplar_packed(c, 5, unterminated, sizeof unterminated - 1, NAN), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_counter_add_with_exemplar_packed(c, 5, not_utf8, sizeof not_utf8 - 1, NAN), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_counter_add_with_exemplar_packed(c, 5, long_packed, 210, NAN), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_counter_add_with_exemplar_packed(c, 5, two, sizeof two - 1, INFINITY), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_counter_add_with_exemplar_packed(c, 5, NULL, 4, NAN), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_counter_add_with_exemplar_packed(NULL, 5, two, sizeof two - 1, NAN), AP_ERR_NULL_HANDLE);
    CHECK_OK(ap_counter_get(c, &v));
    CHECK_U64(v, 2 + 3 + 1 + 1 + 5); /* the refused ones added nothing */
    CHECK_OK(ap_counter_add_with_exemplar_packed(c, 1, swapped, sizeof swapped - 1, 1700000001.25));

    static const char h_labels[] = "trace_id\0t4\0";
    CHECK_OK(ap_histogram_record_with_exemplar_packed(h, 5000000, h_labels, sizeof h_labels - 1, NAN));
    CHECK_STATUS(ap_histogram_record_with_exemplar_packed(h, 1, badname, sizeof badname - 1, NAN), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_histogram_record_with_exemplar_packed(h, 1, odd, sizeof odd - 1, NAN), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_histogram_record_with_exemplar_packed(NULL, 1, h_labels, sizeof h_labels - 1, NAN), AP_ERR_NULL_HANDLE);
    CHECK_OK(ap_histogram_count(h, &count));
    CHECK_U64(count, 2);
    om = exported_text(r, AP_FORMAT_OPENMETRICS);
    CHECK(strstr(om, "jobs_total 13 # {span_id=\"s3\",trace_id=\"t3\"} 1 1700000001.25\n") != NULL);
    CHECK(strstr(om, "latency_seconds_bucket{le=\"0.01\"} 1 # {trace_id=\"t4\"} 0.005\n") != NULL);
    free(om);
    char *text = exported_text(r, AP_FORMAT_PROMETHEUS);
    CHECK(strstr(text, " # {") == NULL);
    free(text);
    ap_counter_free(c);
    ap_histogram_free(h);
    ap_registry_free(r);
    return check_done();
}
