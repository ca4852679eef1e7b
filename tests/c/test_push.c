/* Pushgateway request paths and URLs (ap_pushgateway_path, ap_pushgateway_url): the core's
 * encoding, the buffer protocol, and clear errors for bad jobs, label names, gateways and NULLs.
 * The requests (ap_registry_push, ap_shared_registry_push, ap_pushgateway_delete) against a
 * gateway played by a thread on loopback: what is sent, an error status with its reason, a
 * refused connection, a gateway that never answers, and bad arguments refused before any
 * request. scripts/test-pushgateway.sh pushes to a real Pushgateway. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* A one-request gateway on loopback: answers with `status_line` and `reason`, and keeps the
 * request line and the body it read. */
struct gateway {
    int listener;
    char url[64];
    const char *status_line;
    const char *reason;
    char request_line[512];
    char body[1024];
    pthread_t thread;
};

static int listen_loopback(char *url, size_t url_size) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    REQUIRE(bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
    REQUIRE(listen(fd, 4) == 0);
    socklen_t addr_len = sizeof addr;
    REQUIRE(getsockname(fd, (struct sockaddr *)&addr, &addr_len) == 0);
    snprintf(url, url_size, "http://127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
    return fd;
}

static void *serve_one(void *arg) {
    struct gateway *g = arg;
    int conn = accept(g->listener, NULL, NULL);
    if (conn < 0) return NULL;
    char req[4096];
    size_t got = 0;
    char *end = NULL;
    /* Headers, then as much body as Content-Length says. */
    while (got < sizeof req - 1) {
        ssize_t n = read(conn, req + got, sizeof req - 1 - got);
        if (n <= 0) break;
        got += (size_t)n;
        req[got] = 0;
        end = strstr(req, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(req, "content-length:");
            size_t want = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
            if (got >= (size_t)(end + 4 - req) + want) break;
        }
    }
    if (end) {
        size_t line = strcspn(req, "\r");
        snprintf(g->request_line, sizeof g->request_line, "%.*s", (int)line, req);
        snprintf(g->body, sizeof g->body, "%s", end + 4);
    }
    char answer[512];
    int n = snprintf(answer, sizeof answer, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s", g->status_line, strlen(g->reason), g->reason);
    if (write(conn, answer, (size_t)n) != n) fprintf(stderr, "short write\n");
    close(conn);
    return NULL;
}

static void gateway_start(struct gateway *g, const char *status_line, const char *reason) {
    memset(g, 0, sizeof *g);
    g->status_line = status_line;
    g->reason = reason;
    g->listener = listen_loopback(g->url, sizeof g->url);
    REQUIRE(pthread_create(&g->thread, NULL, serve_one, g) == 0);
}

static void gateway_join(struct gateway *g) {
    pthread_join(g->thread, NULL);
    close(g->listener);
}

static void test_push_sends_the_export(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    ap_counter *c = NULL;
    REQUIRE_OK(ap_registry_counter(r, "backups_done", "Backups done.", NULL, NULL, 0, &c));
    CHECK_OK(ap_counter_add(c, 3));
    char export_text[512];
    size_t len = 0;
    REQUIRE_OK(ap_registry_export(r, AP_FORMAT_PROMETHEUS, export_text, sizeof export_text, &len));
    const char *names[] = {"path"}, *values[] = {"/var/tmp"};

    struct gateway g;
    gateway_start(&g, "200 OK", "");
    CHECK_OK(ap_registry_push(r, AP_PUSH, g.url, "backup", names, values, 1, 5000));
    gateway_join(&g);
    CHECK_STR(g.request_line, "PUT /metrics/job/backup/path@base64/L3Zhci90bXA HTTP/1.1");
    CHECK_STR(g.body, export_text);

    gateway_start(&g, "202 Accepted", "");
    CHECK_OK(ap_registry_push(r, AP_PUSH_ADD, g.url, "backup", names, values, 1, 0));
    gateway_join(&g);
    CHECK_STR(g.request_line, "POST /metrics/job/backup/path@base64/L3Zhci90bXA HTTP/1.1");
    CHECK_STR(g.body, export_text);

    gateway_start(&g, "200 OK", "");
    CHECK_OK(ap_pushgateway_delete(g.url, "backup", names, values, 1, 5000));
    gateway_join(&g);
    CHECK_STR(g.request_line, "DELETE /metrics/job/backup/path@base64/L3Zhci90bXA HTTP/1.1");
    CHECK_STR(g.body, "");

    /* An error status: AP_ERR_IO with the status and the gateway's reason. */
    gateway_start(&g, "400 Bad Request", "pushed metrics are invalid or inconsistent");
    CHECK_STATUS(ap_registry_push(r, AP_PUSH, g.url, "backup", NULL, NULL, 0, 5000), AP_ERR_IO);
    gateway_join(&g);
    CHECK(strstr(ap_last_error(), "ap_registry_push") != NULL);
    CHECK(strstr(ap_last_error(), "400") != NULL);
    CHECK(strstr(ap_last_error(), "pushed metrics are invalid or inconsistent") != NULL);

    /* A refused connection: a port bound, then closed. */
    char url[64];
    close(listen_loopback(url, sizeof url));
    CHECK_STATUS(ap_pushgateway_delete(url, "backup", NULL, NULL, 0, 5000), AP_ERR_IO);
    CHECK(strstr(ap_last_error(), "could not reach") != NULL);

    /* A gateway that accepts (the kernel's backlog) but never answers: the time-out ends it. */
    int silent = listen_loopback(url, sizeof url);
    CHECK_STATUS(ap_registry_push(r, AP_PUSH, url, "backup", NULL, NULL, 0, 200), AP_ERR_IO);
    CHECK(strstr(ap_last_error(), "did not answer within 200ms") != NULL);
    close(silent);

    /* Refused before any request (nothing listens on port 9). */
    CHECK_STATUS(ap_registry_push(r, 7, "127.0.0.1:9", "backup", NULL, NULL, 0, 0),
                 AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "unknown push method 7") != NULL);
    CHECK_STATUS(ap_registry_push(r, AP_PUSH, "https://gw.example", "backup", NULL, NULL, 0, 0),
                 AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "TLS") != NULL);
    CHECK_STATUS(ap_registry_push(r, AP_PUSH, "127.0.0.1:9", "", NULL, NULL, 0, 0),
                 AP_ERR_INVALID_ARGUMENT);
    const char *job_label[] = {"job"};
    CHECK_STATUS(ap_pushgateway_delete("127.0.0.1:9", "b", job_label, values, 1, 0),
                 AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_registry_push(NULL, AP_PUSH, "127.0.0.1:9", "b", NULL, NULL, 0, 0),
                 AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_registry_push(r, AP_PUSH, NULL, "b", NULL, NULL, 0, 0), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_pushgateway_delete("127.0.0.1:9", NULL, NULL, NULL, 0, 0),
                 AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_shared_registry_push(NULL, AP_PUSH, "127.0.0.1:9", "b", NULL, NULL, 0, 0),
                 AP_ERR_NULL_HANDLE);

    ap_counter_free(c);
    ap_registry_free(r);
}

static void test_shared_registry_push(void) {
    char name[64];
    snprintf(name, sizeof name, "test-push-%d", (int)getpid());
    ap_shared_registry *r = NULL;
    REQUIRE_OK(ap_shared_registry_open(name, NULL, &r));
    ap_counter *c = NULL;
    REQUIRE_OK(ap_shared_registry_counter(r, "jobs_done", "Jobs done.", NULL, NULL, 0, &c));
    CHECK_OK(ap_counter_add(c, 5));
    struct gateway g;
    gateway_start(&g, "200 OK", "");
    CHECK_OK(ap_shared_registry_push(r, AP_PUSH, g.url, "shared", NULL, NULL, 0, 5000));
    gateway_join(&g);
    CHECK_STR(g.request_line, "PUT /metrics/job/shared HTTP/1.1");
    CHECK(strstr(g.body, "jobs_done_total 5\n") != NULL);
    ap_counter_free(c);
    CHECK_OK(ap_shared_registry_unlink(r));
    ap_shared_registry_free(r);
}

int main(void) {
    test_pushgateway_readme_examples();
    test_url();
    test_errors();
    test_body_is_the_prometheus_export();
    test_push_sends_the_export();
    test_shared_registry_push();
    return check_done();
}
