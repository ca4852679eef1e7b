/* ap_bench_run: a tiny run returns the documented JSON (never a timing is checked), and every
 * bad argument is its documented status. */
#include "check.h"

static void test_tiny_run_returns_the_report(void) {
    const size_t threads[] = {1, 2};
    static char buf[1 << 16];
    size_t len = 0;
    REQUIRE_OK(ap_bench_run("counter,gauge", threads, 2, 5, buf, sizeof buf, &len));
    CHECK_U64(strlen(buf), len);
    CHECK(strstr(buf, "\"schema\":\"atomicperf-bench/1\"") != NULL);
    /* 3 counter designs + 2 gauge designs, at 2 thread counts. */
    size_t cells = 0;
    for (const char *p = buf; (p = strstr(p, "\"workload\":")) != NULL; p++) cells++;
    CHECK_U64(cells, 10);
    CHECK(strstr(buf, "\"ops\":0,") == NULL);
    CHECK(strstr(buf, "\"published\"") != NULL);
}

static void test_bad_arguments(void) {
    char buf[64];
    size_t len = 0;
    const size_t zero[] = {0};
    CHECK_STATUS(ap_bench_run("counter", zero, 1, 5, buf, sizeof buf, &len), AP_ERR_OUT_OF_RANGE);
    CHECK(strstr(ap_last_error(), "ap_bench_run") != NULL);
    CHECK_STATUS(ap_bench_run("no-such-workload", NULL, 0, 5, buf, sizeof buf, &len), AP_ERR_OUT_OF_RANGE);
    const char bad_utf8[] = {(char)0xff, 0};
    CHECK_STATUS(ap_bench_run(bad_utf8, NULL, 0, 5, buf, sizeof buf, &len), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_bench_run("counter", NULL, 1, 5, buf, sizeof buf, &len), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_bench_run("counter", NULL, 0, 5, buf, sizeof buf, NULL), AP_ERR_NULL_POINTER);
    const size_t one[] = {1};
    CHECK_STATUS(ap_bench_run("gauge", one, 1, 5, buf, sizeof buf, &len), AP_ERR_BUFFER_TOO_SMALL);
    CHECK(len > sizeof buf);
}

int main(void) {
    test_tiny_run_returns_the_report();
    test_bad_arguments();
    return check_done();
}
