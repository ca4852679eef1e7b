/* ap_registry_*: get-or-create of every metric kind with labels, every documented error (nothing
 * registered on error), export in the three formats with the buffer protocol, the process-wide
 * default and named registries, 8 threads incrementing one registry counter, and removal of
 * series (alone and racing writers). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "check.h"

/* The export in `format` of a registry that does not change meanwhile: the length asked for is
 * exactly the length written (exported_text in check.h allows for a growing export). */
static char *export_all(const ap_registry *r, uint32_t format) {
    size_t len = 0;
    CHECK_STATUS(ap_registry_export(r, format, NULL, 0, &len), AP_ERR_BUFFER_TOO_SMALL);
    char *buf = malloc(len + 1);
    REQUIRE(buf != NULL);
    size_t len2 = 0;
    CHECK_OK(ap_registry_export(r, format, buf, len + 1, &len2));
    CHECK_U64(len2, len);
    CHECK_U64(strlen(buf), len);
    return buf;
}

static void test_get_or_create_and_export(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    const char *names[] = {"code", "path"};
    const char *values[] = {"200", "/a\"b"};
    const char *values_swapped_names[] = {"/a\"b", "200"};
    const char *names_swapped[] = {"path", "code"};

    ap_counter *c1 = NULL, *c2 = NULL;
    REQUIRE_OK(ap_registry_counter(r, "http_requests", "Requests.", names, values, 2, &c1));
    REQUIRE_OK(ap_registry_counter(r, "http_requests", "ignored", names_swapped, values_swapped_names, 2, &c2));
    CHECK_OK(ap_counter_add(c1, 40));
    CHECK_OK(ap_counter_add(c2, 2));
    uint64_t v = 0;
    CHECK_OK(ap_counter_get(c1, &v));
    CHECK_U64(v, 42); /* same metric through both handles */

    ap_gauge *g = NULL;
    REQUIRE_OK(ap_registry_gauge(r, "temperature", "Degrees.", NULL, NULL, 0, &g));
    CHECK_OK(ap_gauge_set(g, 21.5));

    ap_histogram *h = NULL;
    const double bounds[] = {0.01, 0.1, 1.0};
    REQUIRE_OK(ap_registry_histogram(r, "latency_seconds", "Latency.", NULL, NULL, 0, bounds, 3, 0.0, &h));
    CHECK_OK(ap_histogram_record(h, 5000000));  /* 5 ms */
    CHECK_OK(ap_histogram_record(h, 50000000)); /* 50 ms */

    ap_timer *t = NULL;
    REQUIRE_OK(ap_registry_timer(r, "rule_seconds", "Rule time.", NULL, NULL, 0, &t));
    CHECK_OK(ap_timer_record(t, 1000, false));
    ap_minmax *m = NULL;
    REQUIRE_OK(ap_registry_minmax(r, "depth", "Depth.", NULL, NULL, 0, &m));
    CHECK_OK(ap_minmax_record(m, 7));

    char *text = export_all(r, AP_FORMAT_PROMETHEUS);
    CHECK(strstr(text, "# TYPE http_requests_total counter\n") != NULL);
    CHECK(strstr(text, "http_requests_total{code=\"200\",path=\"/a\\\"b\"} 42\n") != NULL);
    CHECK(strstr(text, "temperature 21.5\n") != NULL);
    CHECK(strstr(text, "latency_seconds_bucket{le=\"0.01\"} 1\n") != NULL);
    CHECK(strstr(text, "latency_seconds_bucket{le=\"0.1\"} 2\n") != NULL);
    CHECK(strstr(text, "latency_seconds_count 2\n") != NULL);
    CHECK(strstr(text, "rule_seconds_errors_total 1\n") != NULL);
    CHECK(strstr(text, "depth_max 7\n") != NULL);
    free(text);
    char *om = export_all(r, AP_FORMAT_OPENMETRICS);
    size_t n = strlen(om);
    CHECK(n > 6 && strcmp(om + n - 6, "# EOF\n") == 0);
    free(om);
    char *json = export_all(r, AP_FORMAT_JSON);
    CHECK(json[0] == '{' && strstr(json, "\"families\"") != NULL);
    free(json);

    ap_counter_free(c1);
    ap_counter_free(c2);
    ap_gauge_free(g);
    ap_histogram_free(h);
    ap_timer_free(t);
    ap_minmax_free(m);
    ap_registry_free(r);
}

static void test_errors_register_nothing(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    const char *name1[] = {"a"};
    const char *val1[] = {"1"};
    const char *bad_name[] = {"bad-label"};
    const char *dup_names[] = {"a", "a"};
    const char *dup_vals[] = {"1", "2"};
    ap_counter *c = NULL;
    ap_gauge *g = NULL;
    CHECK_STATUS(ap_registry_counter(r, "9starts_with_digit", "", NULL, NULL, 0, &c), AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "ap_registry_counter") != NULL);
    CHECK_STATUS(ap_registry_counter(r, "ok", "", bad_name, val1, 1, &c), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_registry_counter(r, "ok", "", dup_names, dup_vals, 2, &c), AP_ERR_INVALID_ARGUMENT);
    CHECK(c == NULL);
    REQUIRE_OK(ap_registry_counter(r, "ok", "", name1, val1, 1, &c));
    CHECK_STATUS(ap_registry_gauge(r, "ok", "", name1, val1, 1, &g), AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "registered as a counter") != NULL);
    CHECK(g == NULL);
    ap_counter *other = NULL;
    CHECK_STATUS(ap_registry_counter(r, "ok", "", NULL, NULL, 0, &other), AP_ERR_INVALID_ARGUMENT);
    const char *le[] = {"le"};
    ap_histogram *h = NULL;
    CHECK_STATUS(ap_registry_histogram(r, "h", "", le, val1, 1, NULL, 0, 0.0, &h), AP_ERR_INVALID_ARGUMENT);
    const double decreasing[] = {2.0, 1.0};
    CHECK_STATUS(ap_registry_histogram(r, "h", "", NULL, NULL, 0, decreasing, 2, 0.0, &h), AP_ERR_INVALID_ARGUMENT);
    /* NULLs and invalid UTF-8. */
    CHECK_STATUS(ap_registry_counter(NULL, "x", "", NULL, NULL, 0, &c), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_registry_counter(r, NULL, "", NULL, NULL, 0, &other), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_counter(r, "x", NULL, NULL, NULL, 0, &other), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_counter(r, "x", "", NULL, NULL, 1, &other), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_counter(r, "x", "", NULL, NULL, 0, NULL), AP_ERR_NULL_POINTER);
    const char *null_value[] = {NULL};
    CHECK_STATUS(ap_registry_counter(r, "x", "", name1, null_value, 1, &other), AP_ERR_NULL_POINTER);
    const char bad_utf8[] = {'x', (char)0xff, 0};
    CHECK_STATUS(ap_registry_counter(r, bad_utf8, "", NULL, NULL, 0, &other), AP_ERR_INVALID_ARGUMENT);
    CHECK(other == NULL);
    /* Export buffer protocol and format. */
    size_t len = 0;
    char small[4];
    CHECK_STATUS(ap_registry_export(r, 99, small, sizeof small, &len), AP_ERR_OUT_OF_RANGE);
    CHECK_STATUS(ap_registry_export(r, AP_FORMAT_PROMETHEUS, small, sizeof small, &len), AP_ERR_BUFFER_TOO_SMALL);
    CHECK(len > sizeof small);
    CHECK_STATUS(ap_registry_export(r, AP_FORMAT_PROMETHEUS, small, sizeof small, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_export(NULL, AP_FORMAT_PROMETHEUS, small, sizeof small, &len), AP_ERR_NULL_HANDLE);
    /* Only the one valid family exists. */
    char *text = export_all(r, AP_FORMAT_PROMETHEUS);
    CHECK(strstr(text, "ok_total{a=\"1\"} 0\n") != NULL);
    CHECK(strstr(text, "# TYPE h ") == NULL && strstr(text, " x") == NULL);
    free(text);
    ap_counter_free(c);
    ap_registry_free(r);
    ap_registry_free(NULL);
    CHECK(ap_registry_clone(NULL) == NULL);
}

static void test_default_and_named_are_process_wide(void) {
    ap_registry *a = NULL, *b = NULL, *n1 = NULL, *n2 = NULL;
    REQUIRE_OK(ap_registry_default(&a));
    REQUIRE_OK(ap_registry_default(&b));
    REQUIRE_OK(ap_registry_named("jobs", &n1));
    REQUIRE_OK(ap_registry_named("jobs", &n2));
    CHECK_STATUS(ap_registry_default(NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_named(NULL, &n1), AP_ERR_NULL_POINTER);
    ap_counter *x = NULL, *y = NULL;
    REQUIRE_OK(ap_registry_counter(a, "c_test_default", "", NULL, NULL, 0, &x));
    REQUIRE_OK(ap_registry_counter(b, "c_test_default", "", NULL, NULL, 0, &y));
    CHECK_OK(ap_counter_inc(x));
    uint64_t v = 0;
    CHECK_OK(ap_counter_get(y, &v));
    CHECK_U64(v, 1);
    ap_counter_free(x);
    ap_counter_free(y);
    REQUIRE_OK(ap_registry_counter(n1, "named_c", "", NULL, NULL, 0, &x));
    REQUIRE_OK(ap_registry_counter(n2, "named_c", "", NULL, NULL, 0, &y));
    CHECK_OK(ap_counter_add(x, 5));
    CHECK_OK(ap_counter_get(y, &v));
    CHECK_U64(v, 5);
    ap_counter_free(x);
    ap_counter_free(y);
    ap_registry *clone = ap_registry_clone(a);
    CHECK(clone == a);
    ap_registry_free(clone);
    ap_registry_free(a);
    ap_registry_free(b);
    ap_registry_free(n1);
    ap_registry_free(n2);
}

static ap_registry *shared_registry;

static void *hammer(void *arg) {
    (void)arg;
    const char *names[] = {"worker"};
    const char *values[] = {"any"};
    for (int i = 0; i < 20000; i++) {
        ap_counter *c = NULL;
        REQUIRE_OK(ap_registry_counter(shared_registry, "jobs_done", "Jobs.", names, values, 1, &c));
        CHECK_OK(ap_counter_inc(c));
        ap_counter_free(c);
    }
    return NULL;
}

static void test_threads_share_one_metric(void) {
    REQUIRE_OK(ap_registry_new(&shared_registry));
    pthread_t threads[8];
    for (int i = 0; i < 8; i++) REQUIRE(pthread_create(&threads[i], NULL, hammer, NULL) == 0);
    for (int i = 0; i < 8; i++) pthread_join(threads[i], NULL);
    char *text = export_all(shared_registry, AP_FORMAT_PROMETHEUS);
    CHECK(strstr(text, "jobs_done_total{worker=\"any\"} 160000\n") != NULL);
    free(text);
    ap_registry_free(shared_registry);
}

static void test_colliding_families_and_the_series_limit(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    ap_counter *c = NULL;
    ap_gauge *g = NULL;
    REQUIRE_OK(ap_registry_counter(r, "x", "", NULL, NULL, 0, &c));
    /* counter x exports x_total: a gauge x_total would export a second series of that name */
    CHECK_STATUS(ap_registry_gauge(r, "x_total", "", NULL, NULL, 0, &g), AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "would export series named") != NULL);
    CHECK(g == NULL);

    CHECK_OK(ap_registry_set_series_limit(r, 2));
    const char *names[] = {"user"};
    const char *a[] = {"a"}, *b[] = {"b"};
    ap_counter *ca = NULL, *cb = NULL;
    REQUIRE_OK(ap_registry_counter(r, "req", "", names, a, 1, &ca));
    CHECK_STATUS(ap_registry_counter(r, "req", "", names, b, 1, &cb), AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "series limit (2)") != NULL);
    uint64_t series = 0, limit = 0, refused = 0;
    CHECK_OK(ap_registry_series_stats(r, &series, &limit, &refused));
    CHECK_U64(series, 2);
    CHECK_U64(limit, 2);
    CHECK_U64(refused, 1);
    CHECK_STATUS(ap_registry_series_stats(r, NULL, &limit, &refused), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_set_series_limit(NULL, 1), AP_ERR_NULL_HANDLE);
    CHECK_OK(ap_registry_set_series_limit(r, 0)); /* no limit */
    REQUIRE_OK(ap_registry_counter(r, "req", "", names, b, 1, &cb));
    ap_counter_free(cb);
    ap_counter_free(ca);
    ap_counter_free(c);
    ap_registry_free(r);
}

/* ap_registry_remove / _clear_family / _clear: a removed series leaves the export, its handle
 * keeps working, a new look-up starts from zero, the removal count grows; every error. */
static void test_removal(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    const uint64_t *removals = NULL;
    REQUIRE_OK(ap_registry_removals_cell(r, &removals));
    REQUIRE(removals != NULL);
    uint64_t before = __atomic_load_n(removals, __ATOMIC_ACQUIRE);
    const char *names[] = {"queue"};
    const char *mail[] = {"mail"}, *sms[] = {"sms"};
    ap_counter *a = NULL, *b = NULL;
    REQUIRE_OK(ap_registry_counter(r, "jobs", "Jobs.", names, mail, 1, &a));
    REQUIRE_OK(ap_registry_counter(r, "jobs", "Jobs.", names, sms, 1, &b));
    CHECK_OK(ap_counter_add(a, 5));
    CHECK_OK(ap_counter_add(b, 7));
    uint8_t removed = 9;
    CHECK_OK(ap_registry_remove(r, "jobs", names, mail, 1, &removed));
    CHECK_U64(removed, 1);
    CHECK(__atomic_load_n(removals, __ATOMIC_ACQUIRE) > before);
    char *text = export_all(r, AP_FORMAT_PROMETHEUS);
    CHECK(strstr(text, "mail") == NULL);
    CHECK(strstr(text, "jobs_total{queue=\"sms\"} 7\n") != NULL);
    free(text);
    CHECK_OK(ap_counter_inc(a)); /* the removed series' handle still works */
    uint64_t v = 0;
    CHECK_OK(ap_counter_get(a, &v));
    CHECK_U64(v, 6);
    ap_counter *again = NULL;
    REQUIRE_OK(ap_registry_counter(r, "jobs", "Jobs.", names, mail, 1, &again));
    CHECK_OK(ap_counter_get(again, &v));
    CHECK_U64(v, 0);
    CHECK_OK(ap_registry_remove(r, "nothing", NULL, NULL, 0, &removed));
    CHECK_U64(removed, 0);
    const char *other[] = {"state"};
    CHECK_STATUS(ap_registry_remove(r, "jobs", other, mail, 1, &removed), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_registry_remove(NULL, "jobs", names, mail, 1, &removed), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_registry_remove(r, NULL, names, mail, 1, &removed), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_remove(r, "jobs", NULL, mail, 1, &removed), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_remove(r, "jobs", names, mail, 1, NULL), AP_ERR_NULL_POINTER);
    uint64_t n = 0;
    CHECK_OK(ap_registry_clear_family(r, "jobs", &n));
    CHECK_U64(n, 2);
    CHECK_OK(ap_registry_clear_family(r, "nothing", &n));
    CHECK_U64(n, 0);
    CHECK_STATUS(ap_registry_clear_family(r, NULL, &n), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_clear_family(NULL, "jobs", &n), AP_ERR_NULL_HANDLE);
    ap_gauge *g = NULL;
    REQUIRE_OK(ap_registry_gauge(r, "temp", "", NULL, NULL, 0, &g));
    CHECK_OK(ap_registry_clear(r, &n));
    CHECK_U64(n, 1);
    CHECK_STATUS(ap_registry_clear(r, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_clear(NULL, &n), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_registry_removals_cell(NULL, &removals), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_registry_removals_cell(r, NULL), AP_ERR_NULL_POINTER);
    ap_counter_free(a);
    ap_counter_free(b);
    ap_counter_free(again);
    ap_gauge_free(g);
    ap_registry_free(r);
}

/* Writers look a series up, add to it and free the handle while another thread removes it
 * again and again (ASan watches every access); adds to handles kept by the writers are never
 * lost. */
#define RACE_WRITERS 4
#define RACE_ADDS 20000
struct race {
    ap_registry *r;
    int stop;
};

static void *race_writer(void *arg) {
    struct race *race = arg;
    const char *names[] = {"page"}, *values[] = {"/"};
    for (int i = 0; i < RACE_ADDS; i++) {
        ap_counter *c = NULL;
        if (ap_registry_counter(race->r, "hits", "", names, values, 1, &c) != AP_OK) return (void *)1;
        if (ap_counter_inc(c) != AP_OK) return (void *)1;
        ap_counter_free(c);
        ap_histogram *h = NULL;
        if (ap_registry_histogram(race->r, "lat", "", names, values, 1, NULL, 0, 0.0, &h) != AP_OK) return (void *)1;
        if (ap_histogram_record(h, (uint64_t)i) != AP_OK) return (void *)1;
        ap_histogram_free(h);
    }
    return NULL;
}

static void *race_remover(void *arg) {
    struct race *race = arg;
    const char *names[] = {"page"}, *values[] = {"/"};
    uintptr_t removed = 0;
    while (!__atomic_load_n(&race->stop, __ATOMIC_ACQUIRE)) {
        uint8_t one = 0;
        uint64_t n = 0;
        if (ap_registry_remove(race->r, "hits", names, values, 1, &one) != AP_OK) return NULL;
        removed += one;
        if (ap_registry_clear(race->r, &n) != AP_OK) return NULL;
        removed += n;
    }
    return (void *)(removed + 1);
}

static void test_writers_racing_removals(void) {
    struct race race = {0};
    REQUIRE_OK(ap_registry_new(&race.r));
    pthread_t writers[RACE_WRITERS], remover;
    REQUIRE(pthread_create(&remover, NULL, race_remover, &race) == 0);
    for (int i = 0; i < RACE_WRITERS; i++) REQUIRE(pthread_create(&writers[i], NULL, race_writer, &race) == 0);
    for (int i = 0; i < RACE_WRITERS; i++) {
        void *failed = NULL;
        pthread_join(writers[i], &failed);
        CHECK(failed == NULL);
    }
    __atomic_store_n(&race.stop, 1, __ATOMIC_RELEASE);
    void *removed = NULL;
    pthread_join(remover, &removed);
    CHECK(removed != NULL); /* the remover never saw an error */
    uint64_t series = 0, limit = 0, refused = 0;
    CHECK_OK(ap_registry_series_stats(race.r, &series, &limit, &refused));
    CHECK(series <= 2);
    ap_registry_free(race.r);
}

int main(void) {
    test_get_or_create_and_export();
    test_colliding_families_and_the_series_limit();
    test_errors_register_nothing();
    test_default_and_named_are_process_wide();
    test_threads_share_one_metric();
    test_removal();
    test_writers_racing_removals();
    return check_done();
}
