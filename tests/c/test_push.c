/* Pushgateway request paths and URLs (ap_pushgateway_path, ap_pushgateway_url): the core's
 * encoding, the buffer protocol, and clear errors for bad jobs, label names, gateways and NULLs. */
#include "check.h"

/* ap_pushgateway_path of `job` and `n` grouping labels, asked for the length first and then
 * written into a buffer of exactly that size; the caller frees it. */
static char *path_of(const char *job, const char *const *names, const char *const *values,
                     size_t n) {
    size_t len = 0;
    CHECK_STATUS(ap_pushgateway_path(job, names, values, n, NULL, 0, &len),
                 AP_ERR_BUFFER_TOO_SMALL);
    char *buf = malloc(len + 1);
    REQUIRE(buf != NULL);
    size_t len2 = 0;
    REQUIRE_OK(ap_pushgateway_path(job, names, values, n, buf, len + 1, &len2));
    CHECK_U64(len2, len);
    CHECK_U64(strlen(buf), len);
    return buf;
}

static void test_pushgateway_readme_examples(void) {
    const char *names1[] = {"path"}, *values1[] = {"/var/tmp"};
    char *p = path_of("directory_cleaner", names1, values1, 1);
    CHECK_STR(p, "/metrics/job/directory_cleaner/path@base64/L3Zhci90bXA");
    free(p);

    const char *names2[] = {"first_label", "second_label"}, *values2[] = {"", "foobar"};
    p = path_of("example", names2, values2, 2);
    CHECK_STR(p, "/metrics/job/example/first_label@base64/=/second_label/foobar");
    free(p);

    /* UTF-8 "Προμηθεύς", percent-encoded. */
    const char *names3[] = {"name"};
    const char *values3[] = {"\xce\xa0\xcf\x81\xce\xbf\xce\xbc\xce\xb7\xce\xb8\xce\xb5\xcf\x8d\xcf\x82"};
    p = path_of("titan", names3, values3, 1);
    CHECK_STR(p, "/metrics/job/titan/name/%CE%A0%CF%81%CE%BF%CE%BC%CE%B7%CE%B8%CE%B5%CF%8D%CF%82");
    free(p);

    /* No grouping labels (NULL arrays with n = 0), and a job with a slash. */
    p = path_of("a/b", NULL, NULL, 0);
    CHECK_STR(p, "/metrics/job@base64/YS9i");
    free(p);
}

static void test_url(void) {
    const char *names[] = {"instance", "path"}, *values[] = {"host 1", "/"};
    char buf[256];
    size_t len = 0;
    CHECK_OK(ap_pushgateway_url("127.0.0.1:9091/prefix/", "nightly", names, values, 2, buf,
                                sizeof buf, &len));
    CHECK_STR(buf, "http://127.0.0.1:9091/prefix/metrics/job/nightly/instance/host%201/path@base64/Lw");
    CHECK_U64(len, strlen(buf));

    /* Too small by the NUL: the length is reported, nothing else. */
    char small[8];
    CHECK_STATUS(ap_pushgateway_url("http://h", "j", NULL, NULL, 0, small, sizeof small, &len),
                 AP_ERR_BUFFER_TOO_SMALL);
    CHECK_U64(len, strlen("http://h/metrics/job/j"));
}

static void test_errors(void) {
    char buf[128];
    size_t len = 0;
    CHECK_STATUS(ap_pushgateway_path("", NULL, NULL, 0, buf, sizeof buf, &len),
                 AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "ap_pushgateway_path") != NULL);
    CHECK(strstr(ap_last_error(), "job name must not be empty") != NULL);

    const char *bad[] = {"", "9lives", "has-dash", "__reserved", "job"};
    const char *v[] = {"x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *n[] = {bad[i]};
        CHECK_STATUS(ap_pushgateway_path("j", n, v, 1, buf, sizeof buf, &len),
                     AP_ERR_INVALID_ARGUMENT);
        CHECK(strstr(ap_last_error(), "invalid grouping label name") != NULL);
    }
    const char *twice[] = {"a", "a"}, *vals[] = {"1", "2"};
    CHECK_STATUS(ap_pushgateway_path("j", twice, vals, 2, buf, sizeof buf, &len),
                 AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "given twice") != NULL);

    const char *gateways[] = {"", "ftp://h", "http://", "http://h?q=1", "http://h#x"};
    for (size_t i = 0; i < sizeof gateways / sizeof gateways[0]; i++) {
        CHECK_STATUS(ap_pushgateway_url(gateways[i], "j", NULL, NULL, 0, buf, sizeof buf, &len),
                     AP_ERR_INVALID_ARGUMENT);
        CHECK(strstr(ap_last_error(), "invalid Pushgateway URL") != NULL);
    }
    /* Not UTF-8. */
    CHECK_STATUS(ap_pushgateway_path("\xff", NULL, NULL, 0, buf, sizeof buf, &len),
                 AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "UTF-8") != NULL);

    /* NULLs: strings, arrays with n > 0, a label string, the buffer, the length. */
    CHECK_STATUS(ap_pushgateway_path(NULL, NULL, NULL, 0, buf, sizeof buf, &len),
                 AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_pushgateway_url(NULL, "j", NULL, NULL, 0, buf, sizeof buf, &len),
                 AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_pushgateway_path("j", NULL, NULL, 1, buf, sizeof buf, &len),
                 AP_ERR_NULL_POINTER);
    const char *null_value[] = {NULL}, *name[] = {"a"};
    CHECK_STATUS(ap_pushgateway_path("j", name, null_value, 1, buf, sizeof buf, &len),
                 AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_pushgateway_path("j", NULL, NULL, 0, NULL, sizeof buf, &len),
                 AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_pushgateway_path("j", NULL, NULL, 0, buf, sizeof buf, NULL),
                 AP_ERR_NULL_POINTER);
}

/* What a C program pushes: the URL and the registry's Prometheus export as the body. */
static void test_body_is_the_prometheus_export(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    ap_counter *c = NULL;
    const char *ln[] = {"queue"}, *lv[] = {"mail"};
    REQUIRE_OK(ap_registry_counter(r, "backups_done", "Backups done.", ln, lv, 1, &c));
    CHECK_OK(ap_counter_add(c, 3));
    char body[512];
    size_t len = 0;
    CHECK_OK(ap_registry_export(r, AP_FORMAT_PROMETHEUS, body, sizeof body, &len));
    CHECK(strstr(body, "backups_done_total{queue=\"mail\"} 3\n") != NULL);
    ap_counter_free(c);
    ap_registry_free(r);
}

int main(void) {
    test_pushgateway_readme_examples();
    test_url();
    test_errors();
    test_body_is_the_prometheus_export();
    return check_done();
}
