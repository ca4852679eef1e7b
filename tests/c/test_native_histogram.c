/* ap_native_histogram_*: every function, every documented error, bucket placement and the
 * snapshot's buffer protocol. */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>

#include "check.h"

static ap_native_stats stats_of(const ap_native_histogram *h) {
    ap_native_stats s;
    size_t len = 0;
    ap_status st = ap_native_histogram_snapshot(h, &s, NULL, 0, &len);
    CHECK(st == AP_OK || st == AP_ERR_BUFFER_TOO_SMALL);
    return s;
}

static size_t buckets_of(const ap_native_histogram *h, ap_native_bucket *out, size_t cap) {
    ap_native_stats s;
    size_t len = 0;
    ap_status st = ap_native_histogram_snapshot(h, &s, out, cap, &len);
    CHECK(st == AP_OK || (cap == 0 && st == AP_ERR_BUFFER_TOO_SMALL));
    return len;
}

static void *hammer(void *arg) {
    ap_native_histogram *h = arg;
    for (int i = 0; i < 100000; i++) {
        ap_native_histogram_record(h, (i % 3 == 0) ? -1.5 : (double)(i % 1000) * 1e-3);
    }
    return NULL;
}

int main(void) {
    ap_native_options o;
    CHECK_OK(ap_native_options_default(&o));
    CHECK(o.schema == 3);
    CHECK_F64(o.zero_threshold, 2.938735877055719e-39);
    CHECK_F64(o.dense_lowest, 1e-9);
    CHECK_F64(o.dense_highest, 3600.0);
    CHECK_STATUS(ap_native_options_default(NULL), AP_ERR_NULL_POINTER);

    ap_native_histogram *h = NULL;
    REQUIRE_OK(ap_native_histogram_new(NULL, &h));
    CHECK_STATUS(ap_native_histogram_new(NULL, NULL), AP_ERR_NULL_POINTER);

    /* Bad options: every field checked. */
    ap_native_histogram *bad = NULL;
    ap_native_options b = o;
    b.schema = 9;
    CHECK_STATUS(ap_native_histogram_new(&b, &bad), AP_ERR_OUT_OF_RANGE);
    b.schema = -5;
    CHECK_STATUS(ap_native_histogram_new(&b, &bad), AP_ERR_OUT_OF_RANGE);
    b = o, b.zero_threshold = -1.0;
    CHECK_STATUS(ap_native_histogram_new(&b, &bad), AP_ERR_OUT_OF_RANGE);
    b = o, b.zero_threshold = NAN;
    CHECK_STATUS(ap_native_histogram_new(&b, &bad), AP_ERR_OUT_OF_RANGE);
    b = o, b.dense_lowest = 0.0;
    CHECK_STATUS(ap_native_histogram_new(&b, &bad), AP_ERR_OUT_OF_RANGE);
    b = o, b.dense_lowest = 2.0, b.dense_highest = 1.0;
    CHECK_STATUS(ap_native_histogram_new(&b, &bad), AP_ERR_OUT_OF_RANGE);
    b = o, b.schema = 8, b.dense_lowest = 1e-300, b.dense_highest = 1e300;
    CHECK_STATUS(ap_native_histogram_new(&b, &bad), AP_ERR_OUT_OF_RANGE);
    CHECK(bad == NULL);

    /* Empty. */
    double q = -7.0;
    CHECK_STATUS(ap_native_histogram_quantile(h, 0.5, &q), AP_ERR_EMPTY);
    CHECK_F64(q, -7.0);
    CHECK_STATUS(ap_native_histogram_quantile(h, 1.5, &q), AP_ERR_OUT_OF_RANGE);
    CHECK_STATUS(ap_native_histogram_quantile(h, NAN, &q), AP_ERR_OUT_OF_RANGE);
    CHECK_U64(stats_of(h).count, 0);

    /* Placement: 1 is the upper bound of bucket 0; the next double is in bucket 1; 0.5 is the
     * bound of bucket -8 at schema 3; negatives and the zero bucket. */
    CHECK_OK(ap_native_histogram_record(h, 1.0));
    CHECK_OK(ap_native_histogram_record(h, 1.0000000000000002));
    CHECK_OK(ap_native_histogram_record(h, 0.5));
    CHECK_OK(ap_native_histogram_record(h, -0.5));
    CHECK_OK(ap_native_histogram_record(h, 0.0));
    CHECK_OK(ap_native_histogram_record(h, NAN));
    CHECK_OK(ap_native_histogram_record_nanos(h, 2000000000)); /* 2 s: bucket 8 */
    ap_native_bucket bk[8];
    size_t len = 0;
    ap_native_stats s;
    CHECK_STATUS(ap_native_histogram_snapshot(h, &s, bk, 2, &len), AP_ERR_BUFFER_TOO_SMALL);
    CHECK_U64(len, 5);
    CHECK_U64(s.count, 7);
    CHECK_STATUS(ap_native_histogram_snapshot(h, &s, NULL, 8, &len), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_native_histogram_snapshot(h, NULL, bk, 8, &len), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_native_histogram_snapshot(h, &s, bk, 8, NULL), AP_ERR_NULL_POINTER);
    REQUIRE(buckets_of(h, bk, 8) == 5);
    CHECK(bk[0].negative == 1 && bk[0].key == -8 && bk[0].count == 1);
    CHECK(bk[1].negative == 0 && bk[1].key == -8 && bk[1].count == 1);
    CHECK(bk[2].key == 0 && bk[2].count == 1);
    CHECK(bk[3].key == 1 && bk[3].count == 1);
    CHECK(bk[4].key == 8 && bk[4].count == 1);
    s = stats_of(h);
    CHECK(s.schema == 3);
    CHECK_U64(s.zero_count, 1);
    CHECK_U64(s.nan_count, 1);
    CHECK(isnan(s.sum));

    /* Quantile: within the schema's error of the value of that rank. */
    ap_native_histogram *lat = NULL;
    REQUIRE_OK(ap_native_histogram_new(&o, &lat));
    for (int i = 1; i <= 1000; i++) CHECK_OK(ap_native_histogram_record(lat, i * 1e-3));
    CHECK_OK(ap_native_histogram_quantile(lat, 0.99, &q));
    CHECK(fabs(q - 0.990) <= 0.990 * 0.0906);

    /* Merge: a coarser source is refused, a finer one adds up. */
    ap_native_options coarse = o;
    coarse.schema = 0;
    ap_native_histogram *c = NULL;
    REQUIRE_OK(ap_native_histogram_new(&coarse, &c));
    CHECK_STATUS(ap_native_histogram_merge(lat, c), AP_ERR_INVALID_ARGUMENT);
    CHECK_OK(ap_native_histogram_merge(c, lat));
    CHECK_U64(stats_of(c).count, 1000);
    CHECK_STATUS(ap_native_histogram_merge(c, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_native_histogram_merge(NULL, c), AP_ERR_NULL_HANDLE);
    CHECK_OK(ap_native_histogram_reset(c));
    CHECK_U64(stats_of(c).count, 0);

    /* NULL handles. */
    CHECK_STATUS(ap_native_histogram_record(NULL, 1.0), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_native_histogram_record_nanos(NULL, 1), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_native_histogram_quantile(NULL, 0.5, &q), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_native_histogram_snapshot(NULL, &s, bk, 8, &len), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_native_histogram_reset(NULL), AP_ERR_NULL_HANDLE);
    CHECK(ap_native_histogram_clone(NULL) == NULL);
    ap_native_histogram_free(NULL);

    /* Contention: no record lost, in dense and spilled buckets. */
    ap_native_histogram *shared = ap_native_histogram_clone(lat);
    CHECK_OK(ap_native_histogram_reset(shared));
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, hammer, shared);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    CHECK_U64(stats_of(lat).count, 400000);
    size_t n = buckets_of(lat, NULL, 0);
    ap_native_bucket *all = calloc(n, sizeof *all);
    CHECK_U64(buckets_of(lat, all, n), n);
    uint64_t negatives = 0;
    for (size_t i = 0; i < n; i++) negatives += all[i].negative ? all[i].count : 0;
    CHECK_U64(negatives, 4 * 33334);
    free(all);

    /* In a registry with labels, exported natively in protobuf and classically in text. */
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    const char *names[] = {"route"}, *values[] = {"/a"};
    const double classic[] = {0.25, 1.0};
    ap_native_histogram *rh = NULL, *again = NULL;
    REQUIRE_OK(ap_registry_native_histogram(r, "latency_seconds", "Latency.", names, values, 1, NULL,
                                            classic, 2, &rh));
    CHECK_OK(ap_native_histogram_record(rh, 0.1));
    CHECK_OK(ap_native_histogram_record(rh, 2.0));
    CHECK_OK(ap_registry_native_histogram(r, "latency_seconds", "", names, values, 1, NULL, NULL, 0,
                                          &again));
    CHECK_U64(stats_of(again).count, 2);
    ap_native_histogram *none = NULL;
    CHECK_STATUS(ap_registry_native_histogram(r, "other", "", NULL, NULL, 0, &b, NULL, 0, &none),
                 AP_ERR_OUT_OF_RANGE);
    const double unordered[] = {1.0, 0.5};
    CHECK_STATUS(ap_registry_native_histogram(r, "other", "", NULL, NULL, 0, NULL, unordered, 2,
                                              &none), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_registry_native_histogram(r, "other", "", NULL, NULL, 0, NULL, NULL, 2, &none),
                 AP_ERR_NULL_POINTER);
    ap_counter *clash = NULL;
    CHECK_STATUS(ap_registry_counter(r, "latency_seconds_count", "", NULL, NULL, 0, &clash),
                 AP_ERR_INVALID_ARGUMENT);
    size_t n_text = 0;
    CHECK_STATUS(ap_registry_export(r, AP_FORMAT_PROMETHEUS, NULL, 0, &n_text), AP_ERR_BUFFER_TOO_SMALL);
    char *text = malloc(n_text + 1);
    CHECK_OK(ap_registry_export(r, AP_FORMAT_PROMETHEUS, text, n_text + 1, &n_text));
    CHECK(strstr(text, "latency_seconds_bucket{route=\"/a\",le=\"0.25\"} 1\n") != NULL);
    CHECK(strstr(text, "latency_seconds_count{route=\"/a\"} 2\n") != NULL);
    free(text);
    size_t n_pb = 0;
    CHECK_STATUS(ap_registry_export(r, AP_FORMAT_PROTOBUF, NULL, 0, &n_pb), AP_ERR_BUFFER_TOO_SMALL);
    unsigned char *pb = malloc(n_pb + 1);
    CHECK_OK(ap_registry_export(r, AP_FORMAT_PROTOBUF, (char *)pb, n_pb + 1, &n_pb));
    /* One delimited MetricFamily: a varint length that covers the rest, then field 1 (the name,
     * wire type 2). */
    size_t msg_len = 0, at = 0;
    for (int shift = 0; at < n_pb; shift += 7) {
        msg_len |= (size_t)(pb[at] & 0x7f) << shift;
        if (!(pb[at++] & 0x80)) break;
    }
    CHECK_U64(at + msg_len, n_pb);
    CHECK(pb[at] == 0x0a);
    CHECK(memmem(pb, n_pb, "latency_seconds", 15) != NULL);
    free(pb);
    CHECK_STATUS(ap_registry_export(r, 4, NULL, 0, &n_pb), AP_ERR_OUT_OF_RANGE);
    ap_native_histogram_free(again);
    ap_native_histogram_free(rh);
    ap_registry_free(r);

    ap_native_histogram_free(shared);
    ap_native_histogram_free(c);
    ap_native_histogram_free(lat);
    ap_native_histogram_free(h);
    return check_done();
}
